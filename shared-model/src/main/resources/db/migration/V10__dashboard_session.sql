-- Dashboard sessions (issue 5): the browser's cookie holds a random session id, never the API token.
-- Only the id's SHA-256 is stored, so reading this table does not yield a usable cookie. A session names the
-- API token it was opened with (name and digest, neither a credential): when that token is removed or
-- rotated, its sessions stop working. Logging out deletes the row; expired rows go at the next sign-in.
create table dashboard_session (
    id_sha256    text primary key,
    token_name   text not null,
    token_sha256 text not null,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null
);
create index dashboard_session_expires on dashboard_session (expires_at);
