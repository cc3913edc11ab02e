-- Orders that are safe to retry: a client's Idempotency-Key is unique per user, and the request it came with is
-- remembered (its SHA-256) so that a reused key with another order is refused. Items keep the product's name as
-- it was when ordered.
ALTER TABLE orders
    ADD COLUMN idempotency_key VARCHAR(64) NULL,
    ADD COLUMN request_sha256 CHAR(64) NULL,
    ADD UNIQUE KEY orders_idempotency (user_id, idempotency_key);

ALTER TABLE order_items
    ADD COLUMN product_name VARCHAR(200) NOT NULL DEFAULT '';
