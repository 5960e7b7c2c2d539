//! Statements whose prepared form the connection keeps.
//!
//! diesel refuses to cache the prepared statement of every `UPDATE`, of every `INSERT` with
//! an optional column and of every `sql_query`, because some such statements have SQL that
//! varies without bound (a batch insert of any length). Uncached, each execution costs an
//! extra round trip (Parse and Describe before Bind and Execute) and a fresh parse and plan
//! in PostgreSQL: measured, it doubled the database's CPU per status change. The statements
//! wrapped here have one SQL text each (or a handful, one per combination of `DEFAULT`s),
//! so they are cached by that text, as any other statement.
//!
//! A cached statement names its columns, never `*` (nor `RETURNING *`): when a migration of
//! a newer release adds a column while this one runs, PostgreSQL refuses to run a cached
//! plan whose result changed shape ("cached plan must not change result type").

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// `Q`, cached by its SQL text on the connection that runs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prepared<Q>(pub(crate) Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

/// No static id: the cache key is the SQL text and the bind types.
impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}
