//! The heymilo adapter (being built).
