//! Multi-row INSERTs (`QueryBuilder::push_values`) and the statement cache: they are kept as
//! prepared statements only when they hold one row. sqlx keeps a prepared statement per
//! distinct text and connection, and a statement whose length follows its row count would
//! otherwise leave hundreds of sizes in the cache.

use sqlx::database::HasStatementCache;
use sqlx::query::Query;
use sqlx::{Database, QueryBuilder};

/// The statement `insert` built, holding `rows` rows: prepared and cached only for one row.
pub fn statement<'q, 'args, DB: Database + HasStatementCache>(
    insert: &'q mut QueryBuilder<'args, DB>,
    rows: usize,
) -> Query<'q, DB, DB::Arguments<'args>> {
    insert.build().persistent(rows == 1)
}
