//! The one integration-test binary of Préau: every test drives the real router through HTTP
//! requests, on a fresh database — SQLite by default, PostgreSQL when
//! `PREAU_TEST_DATABASE_URL` points at a server (CI runs the whole binary on both).

#![expect(clippy::expect_used, reason = "a broken fixture should stop the test loudly")]

mod accounts;
mod admin;
mod antivirus;
mod api;
mod app;
mod cahier;
mod cas;
mod documents;
mod federation;
mod feeds;
mod ldap;
mod messaging;
mod mfa;
mod notifications;
mod oidc;
mod portal;
mod s3;
mod saml;
mod scim;
mod store;
mod timetable;
mod webdav;
