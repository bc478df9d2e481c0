// Package spool is the durable message store of the MTA. It needs no
// external service: every message is one file in a local directory.
//
// # Files
//
// A spool directory holds four folders:
//
//	queue/<id>.msg    committed messages
//	wal/<seq>.wal     the write-ahead log
//	tmp/              messages being received and files being rewritten
//	quarantine/       files that failed their checksums, kept for an operator
//
// A message file contains a fixed header, the message data (the RFC 5322
// message exactly as received) and then a list of records:
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
// [Writer.Commit], [Spool.Update] and [Spool.Remove] return only once their
// change is durable. Each change is made without a sync and then recorded
// in the write-ahead log. A log record contains the whole new message file,
// a recipient update or a removal. The log batches concurrent callers
// (group commit): a caller joins the next sync round, and one fdatasync of
// the log serves every caller that joined it.
//
// A new message within [Options.InlineLimit] stays in memory: its file is
// written only if it is still queued at the checkpoint of its log segment.
// Updates go to the file, or to the memory copy before that.
//
// A log segment is closed after 16 MiB or 5 seconds. A checkpoint then
// makes the message files it covers durable and deletes it: with
// [SyncFilesystem] (the default on Linux) by one syncfs(2) of the spool's
// filesystem, with [SyncFiles] by an fsync of each of those files and of
// queue/. A message delivered before its checkpoint never gets a file. A
// message larger than [Options.InlineLimit] is not copied into the log:
// it is streamed to a file under tmp/, fsynced, and renamed into queue/,
// and an fsync of queue/ shared between concurrent writers makes the
// rename durable.
//
// # Recovery
//
// [Open] removes leftover temporary files, reads every file in queue/ and
// checks its checksums. Then it replays the log over them. It restores the
// files that the log holds and the disk lost, and applies updates and
// removals. It writes the result back durably before it deletes the log. Damaged
// records at the end of a file (updates are appended without a sync) are
// cut off, because the log holds any that were acknowledged. A file whose
// header, data or envelope fails its checks, and that the log cannot
// restore, is moved to quarantine/ and logged with its message id; the
// other messages load normally.
//
// Message ids are UUIDv7 strings: they sort by time of receipt and name the
// message file, so an operator can go from a log line to the file.
package spool
