/**
 * The offline capture tools, {@code overlay pcap encode | decode | inspect}: the gateway's own
 * datapath stages run over capture files, so a capture shows exactly what the gateway would send
 * and accept. Every command streams (one packet in memory at a time), keeps input order and
 * timestamps, and ends with the summary line of CONTRACT.md:
 * {@code packets in N, out N, dropped N (reason=count, ...)}.
 */
package dev.overlay.pcap;
