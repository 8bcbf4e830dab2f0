-- The catalog copy of a stock level only serves the inStock filter of product lists, so it
-- is written when a product sells out or comes back, not on every change: the mirror
-- remembers which side of zero it last wrote (null: never written).
ALTER TABLE "stock_levels" ADD COLUMN "mirrored_in_stock" BOOLEAN;
