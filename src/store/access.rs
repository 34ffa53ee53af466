//! Portal access rows (one per account, patient and practice): grant, block, revoke, expire, re-link.
