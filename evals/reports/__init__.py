"""Reports of an eval run: terminal table, JSON summary, self-contained HTML, JUnit XML."""
