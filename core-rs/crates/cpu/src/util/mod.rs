//! Helpers shared by several op families. Each family helper may add a module here
//! (append one `pub mod` line).

pub mod dispatch;
pub mod broadcast;
pub mod parallel;
pub mod real;
pub mod elems;
pub mod convert;
pub mod mt19937;
pub mod vecmath;
