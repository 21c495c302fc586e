"""Risk and prevention: polygenic scores (this package's first part), clinical risk and what-ifs to come."""
