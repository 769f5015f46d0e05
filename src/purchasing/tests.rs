//! Property and unit tests of purchasing: the payable identity and the stock identities after every step.
