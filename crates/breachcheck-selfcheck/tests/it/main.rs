//! Integration tests, one binary (less linking on 2 cores). Every value here is generated.
mod common;
mod file;
mod privacy;
mod protocol;
