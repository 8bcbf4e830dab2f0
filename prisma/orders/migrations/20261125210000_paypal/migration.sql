-- PayPal: the approval link handed to the customer, and the capture that refunds need.
ALTER TABLE "payments" ADD COLUMN "approval_url" TEXT;
ALTER TABLE "payments" ADD COLUMN "capture_reference" TEXT;
