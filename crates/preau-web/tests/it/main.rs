//! The one integration-test binary of Préau: every test drives the real router through HTTP
//! requests, on a fresh database — SQLite by default, PostgreSQL when
//! `PREAU_TEST_DATABASE_URL` points at a server (CI runs the whole binary on both).

mod app;
mod accounts;
mod admin;
mod api;
mod portal;
mod store;
