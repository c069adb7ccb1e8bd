//! The *cahier de textes*: what was done in each lesson, the homework set, the pupils' ticks,
//! the class's workload, the head's visas, and the online hand-in of homework.

pub mod cache;
pub mod handin;
pub mod model;
pub mod read;
pub mod rich;
pub mod tell;
pub mod write;

pub use model::{DayLoad, Due, Entry, Homework, Visa};
pub use read::{ClassCahier, LessonCahier};
pub use write::{EntryInput, HomeworkInput};
