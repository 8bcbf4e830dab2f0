-- A shipment whose order was cancelled or refunded before pickup: CANCELLED, its label voided.
-- AlterEnum
ALTER TYPE "DeliveryStatus" ADD VALUE 'CANCELLED';

-- AlterEnum
ALTER TYPE "TrackingSource" ADD VALUE 'SHOP';

-- AlterTable
ALTER TABLE "shipments" ADD COLUMN "label_voided_at" TIMESTAMP(3);
