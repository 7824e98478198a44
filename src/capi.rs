//! The C ABI (to be written).
#![allow(unsafe_code)]
