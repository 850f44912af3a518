//! Writing a session into a section of the shared credentials file (`--write-profile`).
