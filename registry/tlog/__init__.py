"""The transparency log's pure parts: RFC 6962 Merkle tree maths, and C2SP signed notes,
checkpoints and tlog-proof receipts."""
