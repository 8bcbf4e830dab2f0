import { fixtureForFile } from '@shop/test-harness';
import { startNotificationsStack } from './support/stack';

// The whole path through real services: register on users → user.registered outbox row in
// the sign-up transaction → users' relay publishes it → this worker sends the welcome.
const stack = fixtureForFile(() => startNotificationsStack({ relay: true }));

describe('welcome e-mail', () => {
  it('greets a new customer by name once they register', async () => {
    const ann = await stack.customer({ name: 'Ann Lovelace' });
    const mail = await stack.mail(ann.email, /Welcome/);
    expect(mail.subject).toBe('Welcome to the shop');
    expect(mail.text).toContain('Hello Ann Lovelace,');
    expect(mail.html).toContain('Hello Ann Lovelace,');

    const history = await stack.call(
      'query { myNotifications { totalCount edges { node { channel template to subject status } } } }',
      {},
      ann.token,
    );
    expect(history.data!.myNotifications).toEqual({
      totalCount: 1,
      edges: [
        {
          node: {
            channel: 'EMAIL',
            template: 'welcome',
            to: ann.email,
            subject: 'Welcome to the shop',
            status: 'SENT',
          },
        },
      ],
    });
  });

  it('escapes the name in the HTML part and keeps it as typed in the text part', async () => {
    const name = 'Ada & "Bob" <script>alert(1)</script>';
    const ada = await stack.customer({ name });
    const mail = await stack.mail(ada.email, /Welcome/);
    expect(mail.text).toContain(`Hello ${name},`);
    expect(mail.html).toContain(
      'Hello Ada &amp; &quot;Bob&quot; &lt;script&gt;alert(1)&lt;/script&gt;,',
    );
    expect(mail.html).not.toContain('<script>');
  });
});
