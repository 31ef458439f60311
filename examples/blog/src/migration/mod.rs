//! The blog's schema, as versioned migrations: ferrocrud's own first (the
//! command counters and the user table with the account columns), then the
//! blog's, oldest first.
//!
//! [`build_on`](crate::build_on) applies the pending ones at start;
//! `blog migrate up|down|status` runs them by hand (see
//! [`migrate`](crate::migrate)). A change to an entity comes with a new
//! migration at the end of the list; a migration, once released, is never
//! edited.

// `MigrationTrait`'s methods take `&SchemaManager` with its lifetime elided,
// which `async_trait` needs as it is.
#![allow(elided_lifetimes_in_paths)]

mod m20261207_120000_blog_tables;
mod m20261207_130000_user_website;

use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// The blog's migrations, after ferrocrud's.
#[derive(Debug, Clone, Copy)]
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut migrations = ferrocrud::migration::migrations();
        migrations.push(Box::new(m20261207_120000_blog_tables::Migration));
        migrations.push(Box::new(m20261207_130000_user_website::Migration));
        migrations
    }
}
