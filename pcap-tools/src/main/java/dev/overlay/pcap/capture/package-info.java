/**
 * Capture files in and out of the offline tools: pcap (microsecond and nanosecond magic) and
 * pcapng are read through Pcap4J and libpcap one record at a time, so memory stays flat however
 * large the file; pcap with link type Ethernet is written the same way, in the timestamp
 * precision of the input, so timestamps pass from input to output unchanged. Everything a user
 * can get wrong (no file, not a capture, a truncated header or record, another link type, no
 * libpcap on the machine) surfaces as one {@link dev.overlay.pcap.capture.CaptureException}
 * sentence naming the file, never a native error or a stack trace.
 *
 * <p>Formats: draft-ietf-opsawg-pcap (pcap file format, LINKTYPE_ETHERNET = 1) and
 * draft-ietf-opsawg-pcapng (pcapng blocks, {@code if_tsresol}).
 */
package dev.overlay.pcap.capture;
