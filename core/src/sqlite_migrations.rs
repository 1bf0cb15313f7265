//! Applies numbered plain-SQL migrations to an SQLite database, tracked by `PRAGMA user_version`.
//!
//! Both the server's database and the app's local store use it; each embeds its own folder
//! of `NNNN_name.sql` files from `migrations/`.

use rusqlite::Connection;

/// One migration: its number (the file's `NNNN` prefix) and SQL.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error(
        "the database is at schema version {found}, newer than this build knows ({known}); use a newer Hafla"
    )]
    DatabaseIsNewer { found: u32, known: u32 },
    #[error("migration {version} ({name}) failed: {source}")]
    Failed {
        version: u32,
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// Brings `conn` up to the last of `migrations` (which must be in ascending order), each
/// migration in its own transaction. Returns the versions applied.
pub fn apply(conn: &mut Connection, migrations: &[Migration]) -> Result<Vec<u32>, MigrationError> {
    let known = migrations.last().map_or(0, |m| m.version);
    let current: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > known {
        return Err(MigrationError::DatabaseIsNewer {
            found: current,
            known,
        });
    }
    let mut applied = vec![];
    for m in migrations.iter().filter(|m| m.version > current) {
        let failed = |source| MigrationError::Failed {
            version: m.version,
            name: m.name,
            source,
        };
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql).map_err(failed)?;
        tx.pragma_update(None, "user_version", m.version)
            .map_err(failed)?;
        tx.commit()?;
        applied.push(m.version);
    }
    Ok(applied)
}

/// The file names an embedded list stands for, as (version, `NNNN_name.sql`); compared
/// with [`files_in`] by tests to prove the list matches its folder.
pub fn file_names(migrations: &[Migration]) -> Vec<(u32, String)> {
    migrations
        .iter()
        .map(|m| (m.version, format!("{:04}_{}.sql", m.version, m.name)))
        .collect()
}

/// The `NNNN_name.sql` files of a migrations folder, as (version, file name), sorted.
/// Used by tests to prove an embedded list matches its folder.
pub fn files_in(dir: &std::path::Path) -> std::io::Result<Vec<(u32, String)>> {
    let mut files = vec![];
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".sql")
            && let Some(version) = stem.split('_').next().and_then(|n| n.parse().ok())
        {
            files.push((version, name));
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: [Migration; 2] = [
        Migration {
            version: 1,
            name: "one",
            sql: "CREATE TABLE a (x INTEGER);",
        },
        Migration {
            version: 2,
            name: "two",
            sql: "CREATE TABLE b (y INTEGER);",
        },
    ];

    #[test]
    fn migrations_apply_once_and_in_order() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(apply(&mut conn, &TWO[..1]).unwrap(), vec![1]);
        assert_eq!(apply(&mut conn, &TWO).unwrap(), vec![2]);
        assert_eq!(apply(&mut conn, &TWO).unwrap(), Vec::<u32>::new());
    }

    #[test]
    fn a_failing_migration_leaves_the_database_at_the_previous_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        let broken = [
            TWO[0],
            Migration {
                version: 2,
                name: "broken",
                sql: "CREATE TABLE c (z); THIS IS NOT SQL;",
            },
        ];
        let err = apply(&mut conn, &broken).unwrap_err();
        assert!(
            matches!(err, MigrationError::Failed { version: 2, .. }),
            "{err}"
        );
        let v: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 1);
        let c_exists: bool = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'c'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!c_exists);
    }

    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn, &TWO).unwrap();
        let err = apply(&mut conn, &TWO[..1]).unwrap_err();
        assert!(matches!(
            err,
            MigrationError::DatabaseIsNewer { found: 2, known: 1 }
        ));
    }
}
