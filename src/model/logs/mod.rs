//! Log lines (Part 6): parsing, levels, the bounded ring buffer and search. Pure data, no I/O.
