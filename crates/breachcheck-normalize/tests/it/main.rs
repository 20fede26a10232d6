//! Normalization against references: Google's libphonenumber (through its Python port) for
//! phones, and golden tables per country and script.
mod golden;
mod phone_reference;
