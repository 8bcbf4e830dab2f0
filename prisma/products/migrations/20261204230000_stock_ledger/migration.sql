-- The stock ledger of the products subgraph (docs/adr/0006-stock-ledger-in-postgresql.md).
-- Stock used to live on the MongoDB product documents, with one hold per unpaid order on
-- the document and a lock document per product; products copies it here on start-up
-- (src/store/legacy-stock.ts) and from then on this database is the truth.

CREATE TYPE "StockReservationStatus" AS ENUM ('RESERVED', 'COMMITTED', 'RELEASED', 'RESTOCKED', 'EXPIRED');

CREATE TABLE "stock_levels" (
    "product_id" TEXT NOT NULL,
    "available" INTEGER NOT NULL,
    "sellable" BOOLEAN NOT NULL DEFAULT true,
    "version" BIGINT NOT NULL DEFAULT 1,
    "mirrored_version" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stock_levels_pkey" PRIMARY KEY ("product_id"),
    -- The last line of defence against overselling: no write may take stock below zero.
    CONSTRAINT "stock_levels_available_not_negative" CHECK ("available" >= 0)
);

-- What the catalog mirror still has to copy to MongoDB (a handful of rows at any time).
CREATE INDEX "stock_levels_unmirrored" ON "stock_levels" ("product_id") WHERE "version" <> "mirrored_version";

CREATE TABLE "stock_reservations" (
    "order_id" TEXT NOT NULL,
    "status" "StockReservationStatus" NOT NULL,
    "claim_deadline" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stock_reservations_pkey" PRIMARY KEY ("order_id")
);

-- The sweeper's work list: held units that no order has claimed.
CREATE INDEX "stock_reservations_unclaimed" ON "stock_reservations" ("claim_deadline")
    WHERE "status" = 'RESERVED' AND "claim_deadline" IS NOT NULL;

CREATE TABLE "stock_reservation_lines" (
    "order_id" TEXT NOT NULL,
    "product_id" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,

    CONSTRAINT "stock_reservation_lines_pkey" PRIMARY KEY ("order_id", "product_id"),
    CONSTRAINT "stock_reservation_lines_quantity_positive" CHECK ("quantity" > 0)
);

ALTER TABLE "stock_reservation_lines" ADD CONSTRAINT "stock_reservation_lines_order_id_fkey"
    FOREIGN KEY ("order_id") REFERENCES "stock_reservations"("order_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- reserve_stock: all lines of one order or none, in one statement.
-- Product rows are locked in product-id order (so two reservations never deadlock) and
-- checked before anything is written; the reservation row makes a repeat harmless.
-- Outcomes: reserved | exists (the order id has a reservation: the caller reads it)
--           | unknown (no such product) | unavailable (product_id, available).
CREATE FUNCTION reserve_stock(p_order_id TEXT, p_product_ids TEXT[], p_quantities INTEGER[], p_claim_within_ms INTEGER)
RETURNS TABLE (outcome TEXT, product_id TEXT, available INTEGER)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_line RECORD;
    v_available INTEGER;
    v_sellable BOOLEAN;
BEGIN
    IF EXISTS (SELECT 1 FROM stock_reservations WHERE order_id = p_order_id) THEN
        RETURN QUERY SELECT 'exists'::TEXT, NULL::TEXT, NULL::INTEGER;
        RETURN;
    END IF;
    FOR v_line IN
        SELECT l.id, l.qty FROM unnest(p_product_ids, p_quantities) AS l(id, qty) ORDER BY l.id
    LOOP
        SELECT s.available, s.sellable INTO v_available, v_sellable
            FROM stock_levels s WHERE s.product_id = v_line.id FOR UPDATE;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'unknown'::TEXT, v_line.id, NULL::INTEGER;
            RETURN;
        END IF;
        IF NOT v_sellable THEN
            RETURN QUERY SELECT 'unavailable'::TEXT, v_line.id, 0;
            RETURN;
        END IF;
        IF v_available < v_line.qty THEN
            RETURN QUERY SELECT 'unavailable'::TEXT, v_line.id, v_available;
            RETURN;
        END IF;
    END LOOP;
    INSERT INTO stock_reservations (order_id, status, claim_deadline)
        VALUES (p_order_id, 'RESERVED', now() + make_interval(secs => p_claim_within_ms / 1000.0))
        ON CONFLICT (order_id) DO NOTHING;
    IF NOT FOUND THEN
        -- The same order id, reserved at this very moment by another request.
        RETURN QUERY SELECT 'exists'::TEXT, NULL::TEXT, NULL::INTEGER;
        RETURN;
    END IF;
    FOR v_line IN
        SELECT l.id, l.qty FROM unnest(p_product_ids, p_quantities) AS l(id, qty) ORDER BY l.id
    LOOP
        UPDATE stock_levels s
            SET available = s.available - v_line.qty, version = s.version + 1, updated_at = now()
            WHERE s.product_id = v_line.id;
        INSERT INTO stock_reservation_lines (order_id, product_id, quantity)
            VALUES (p_order_id, v_line.id, v_line.qty);
    END LOOP;
    RETURN QUERY SELECT 'reserved'::TEXT, NULL::TEXT, NULL::INTEGER;
END;
$$;

-- move_stock_reservation: one status change of a reservation with its stock effect, atomic.
-- Applies only when the current status is one of p_from (the caller's transition table
-- decides which); p_units is +1 (units go back: release, restock), 0 (commit, claim) or
-- -1 (units are taken again: a late claim of an expired hold, refused when short).
-- Returns the status before the call ('missing' when there is no reservation) and, when
-- units could not be taken again, the product and what it has.
CREATE FUNCTION move_stock_reservation(p_order_id TEXT, p_from "StockReservationStatus"[], p_to "StockReservationStatus", p_units INTEGER)
RETURNS TABLE (previous TEXT, product_id TEXT, available INTEGER)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_status "StockReservationStatus";
    v_line RECORD;
    v_available INTEGER;
BEGIN
    SELECT r.status INTO v_status FROM stock_reservations r WHERE r.order_id = p_order_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'missing'::TEXT, NULL::TEXT, NULL::INTEGER;
        RETURN;
    END IF;
    IF NOT (v_status = ANY (p_from)) THEN
        RETURN QUERY SELECT v_status::TEXT, NULL::TEXT, NULL::INTEGER;
        RETURN;
    END IF;
    IF p_units < 0 THEN
        FOR v_line IN
            SELECT l.product_id AS id, l.quantity AS qty FROM stock_reservation_lines l
            WHERE l.order_id = p_order_id ORDER BY l.product_id
        LOOP
            SELECT s.available INTO v_available FROM stock_levels s
                WHERE s.product_id = v_line.id FOR UPDATE;
            IF NOT FOUND OR v_available < v_line.qty THEN
                RETURN QUERY SELECT v_status::TEXT, v_line.id, COALESCE(v_available, 0);
                RETURN;
            END IF;
        END LOOP;
    END IF;
    IF p_units <> 0 THEN
        FOR v_line IN
            SELECT l.product_id AS id, l.quantity AS qty FROM stock_reservation_lines l
            WHERE l.order_id = p_order_id ORDER BY l.product_id
        LOOP
            UPDATE stock_levels s
                SET available = s.available + p_units * v_line.qty, version = s.version + 1, updated_at = now()
                WHERE s.product_id = v_line.id;
        END LOOP;
    END IF;
    -- Any move settles the claim question: the order exists (claim, commit) or is gone.
    UPDATE stock_reservations r SET status = p_to, claim_deadline = NULL, updated_at = now()
        WHERE r.order_id = p_order_id;
    RETURN QUERY SELECT v_status::TEXT, NULL::TEXT, NULL::INTEGER;
END;
$$;

-- expire_stock_holds: up to p_limit held reservations past their claim deadline go back to
-- stock. SKIP LOCKED lets every replica sweep without waiting on the others or on a
-- reservation being claimed; the units are added per product in product-id order, the same
-- order every other writer locks in. Returns the order ids it expired.
CREATE FUNCTION expire_stock_holds(p_limit INTEGER)
RETURNS SETOF TEXT
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_ids TEXT[];
    v_line RECORD;
BEGIN
    v_ids := ARRAY(
        SELECT r.order_id FROM stock_reservations r
        WHERE r.status = 'RESERVED' AND r.claim_deadline IS NOT NULL AND r.claim_deadline < now()
        ORDER BY r.claim_deadline LIMIT p_limit
        FOR UPDATE SKIP LOCKED);
    IF cardinality(v_ids) = 0 THEN
        RETURN;
    END IF;
    FOR v_line IN
        SELECT l.product_id AS id, sum(l.quantity)::INTEGER AS qty FROM stock_reservation_lines l
        WHERE l.order_id = ANY (v_ids) GROUP BY l.product_id ORDER BY l.product_id
    LOOP
        UPDATE stock_levels s
            SET available = s.available + v_line.qty, version = s.version + 1, updated_at = now()
            WHERE s.product_id = v_line.id;
    END LOOP;
    UPDATE stock_reservations r SET status = 'EXPIRED', updated_at = now() WHERE r.order_id = ANY (v_ids);
    RETURN QUERY SELECT unnest(v_ids);
END;
$$;
