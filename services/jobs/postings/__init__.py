"""Job postings of Haizhu partners, and the applications the bureau makes to them for workers."""
