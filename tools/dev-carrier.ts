// A local parcel carrier for `npm run up`: answers the delivery service's label requests
// (POST /v1/labels, the same contract as the carrier fake in delivery's tests) so that paid
// orders get a tracking number on a machine without a carrier account.
//   tsx tools/dev-carrier.ts <port> <api key>
import { startFakeCarrier } from '@shop/delivery/testing';

const port = Number(process.argv[2] ?? 4015);
const apiKey = process.argv[3] ?? 'dev-carrier-key';

void startFakeCarrier(apiKey, port).then((carrier) => {
  console.log(`development carrier listening on ${carrier.url} (labels at /v1/labels)`);
  let seen = 0;
  setInterval(() => {
    for (const call of carrier.calls.slice(seen)) {
      console.log(`label ${call.status} for shipment ${call.idempotencyKey ?? '?'}`);
    }
    seen = carrier.calls.length;
  }, 500).unref();
  process.once('SIGTERM', () => void carrier.stop().then(() => process.exit(0)));
});
