-- The app's own preferences (language, last server). Never tokens: those live in the OS keyring.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
