// Package spool is the durable message store of the MTA. It needs no
// external service: every message is one file in a local directory.
//
// # Files
//
// A spool directory holds three folders:
//
//	queue/<id>.msg    committed messages
//	tmp/<id>.tmp      messages being received; removed on Open
//	quarantine/       files that failed their checksums, kept for an operator
//
// A message file contains a fixed header, the message data (the RFC 5322
// message exactly as received) and then a log of records:
//
//	header   32 bytes: magic "HLSP", version, data length, data CRC-32C,
//	         header CRC-32C
//	data     data length bytes
//	records  each: payload length (uint32), CRC-32C of type and payload
//	         (uint32), type (1 byte), payload (JSON)
//
// The first record is the envelope: sender, DSN parameters and one
// [Recipient] per queue entry with its queue state. Each later record is a
// recipient update: the full new state of one recipient, so on replay the
// last record for a recipient wins. After [Options.CompactAfter] updates the
// file is rewritten with one envelope record that holds the current state.
//
// # Durability
//
// [Writer.Commit] returns only when the message is durable: the file is
// written under tmp/, made durable, renamed into queue/, and the rename is
// made durable. [Spool.Update] appends a record and makes it durable before
// it returns, and the file of a message whose recipients have all reached a
// final status is removed (that removal too is made durable, so that a
// restart rarely delivers a message twice).
//
// Durability is batched across concurrent callers (group commit): a caller
// joins the next sync round, and one sync serves every caller that joined
// it. With [SyncFilesystem] (the default on Linux) a round is one syncfs(2)
// of the filesystem that holds the spool, which flushes every file written
// and every rename made before it started. With [SyncFiles] every file is
// fsynced by its writer and a round is one fsync of the queue directory;
// use it when the spool shares a filesystem with unrelated heavy writers,
// because syncfs(2) flushes their dirty data too.
//
// # Recovery
//
// [Open] removes leftover temporary files, reads every file in queue/,
// checks its checksums and returns the live messages with their recipient
// states. A torn record at the end of a file (a crash during an update that
// was never acknowledged) is cut off. Any other checksum or format failure
// moves the file to quarantine/ and logs it with its message id; the other
// messages load normally.
//
// Message ids are UUIDv7 strings: they sort by time of receipt and name the
// message file, so an operator can go from a log line to the file.
package spool
