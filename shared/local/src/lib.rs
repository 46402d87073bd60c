//! Seikyu on one machine. The embedded adapters implement every port of `seikyu_service` over a data
//! folder, and [`serve`] runs the HTTP API and the jobs on them:
//!
//! | port | adapter | where |
//! |---|---|---|
//! | store (every `*Store` trait) | [`SqliteStore`]: one SQLite transaction per commit, DynamoDB's conditions | `seikyu.sqlite3` |
//! | queue | [`SqliteQueue`]: visibility timeout, redelivery, dead-letter table | `seikyu.sqlite3` |
//! | archive | [`FsArchive`]: write-once files, SHA-256 recorded and checked on read | `archive/` |
//! | bus | [`LocalBus`]: kept, logged, handed to in-process subscribers | `seikyu.sqlite3` |
//! | mailer | [`LocalMailer`]: SMTP when configured, else `.eml` files | `mail/` |
//! | webhook secrets | [`LocalSecrets`]: files, or `SEIKYU_WEBHOOK_SECRETS` | `secrets/{seller}/{provider}` |

pub mod archive;
pub mod bus;
pub mod db;
pub mod mail;
pub mod queue;
pub mod secrets;
pub mod serve;
pub mod store;

pub use archive::FsArchive;
pub use bus::LocalBus;
pub use db::{Db, Durability};
pub use mail::LocalMailer;
pub use queue::{LocalQueueName, SqliteQueue};
pub use secrets::LocalSecrets;
pub use serve::{DataFolder, ServeOptions};
pub use store::SqliteStore;
