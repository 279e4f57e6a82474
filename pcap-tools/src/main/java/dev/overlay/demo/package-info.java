/**
 * {@code overlay demo}: two gateways of this process carry two tenants with overlapping inner
 * addresses, ESP-protected (RFC 4303, in UDP per RFC 3948, AES-GCM per RFC 4106) over VXLAN
 * (RFC 7348) and Geneve (RFC 8926); the demo plays the tenants' hosts on the gateways' udp ports,
 * checks that each frame arrives intact at its own tenant and nowhere else, and prints the work
 * each worker did. {@code --netns} repeats it with real hosts: network namespaces on TAP ports,
 * ping and iperf3. {@code --offline} runs the captures through the datapath stages alone.
 */
package dev.overlay.demo;
