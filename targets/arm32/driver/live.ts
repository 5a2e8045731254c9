// The driver's live capture (--iface, socket filters only): an AF_PACKET raw socket bound to the interface, read
// until the deadline, one run per packet; then the results, as after --pcap. Its errors (no socket, no such
// interface) are one line on stderr and exit status 1.

import {
  emit, emitConst, skip, R0, R1, R2, R3, R4, R5, R8, R9, R10, R11, IP, LR, AL, EQ, NE, LT, LE, HI, HS, LO, ldr, str,
  ldrb, strb, ldrh, strh, movReg, movImm, cmpImm, cmpReg, opReg, dpReg, dpImm, immRot, bx, addImm, OP_ADD, OP_ORR,
  OP_CMN, SH_LSL,
} from "../../../assembly/arm32/a32/encoder";
import {
  label, b, bl, jump, S_BUF, S_IFACE, S_SECONDS, S_DEADLINE, S_PKT_TYPE, S_IFINDEX, S_PROTO, S_LIVE_BUF,
} from "../image";
import {
  SYS_IOCTL, SYS_POLL, SYS_CLOCK_GETTIME, SYS_SOCKET, SYS_BIND, SYS_RECVFROM, WRITE, RUN_ONE, PRINT, S_NL,
  S_NOT_PERMITTED, S_NO_SOCKET, S_NO_IFACE, S_NO_CAPTURE, LIVE, LIVE_LOOP, LIVE_DONE, NAME_LOOP, NO_IFACE, NO_CAPTURE,
  NO_SOCKET, LIVE_ERROR, LIVE_CLOCK, LIVE_WAIT, NAME_DONE, IFACE_NAME, IFACE_LEN, syscall, say, exitWith, mapAnonymous,
} from "./common";

const LIVE_BUFFER: u32 = 256 << 10; // bytes of one received packet at most (loopback frames reach 64 KiB + 14)
const POLL_MS: u32 = 100; // a live capture checks the clock at least this often
const SIOCGIFINDEX: u32 = 0x8933;

/**
 * The live capture (socket filters): S_IFACE names the interface, S_SECONDS how long to read it. Ends at PRINT.
 * The ifreq (32 bytes) is built at S_BUF, the sockaddr_ll (20 bytes) at S_BUF + 32, the timespec at S_BUF + 52,
 * the pollfd at S_BUF + 24 (after the ifreq is used) and recvfrom's address length at S_BUF + 60.
 */
export function emitLive(): void {
  label(LIVE);
  mapAnonymous(LIVE_BUFFER, NO_CAPTURE); // the packet buffer, committed as packets arrive
  emit(str(R0, R11, S_LIVE_BUF));
  // socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL))
  emit(movImm(R0, 17));
  emit(movImm(R1, 3));
  emit(movImm(R2, 0x300));
  syscall(SYS_SOCKET);
  emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(4096)));
  jump(HI, NO_SOCKET);
  emit(movReg(R9, R0)); // the socket, for good (the program preserves r4-r11)
  emit(addImm(R10, R11, S_BUF)); // the structures below
  // ioctl(SIOCGIFINDEX): struct ifreq { char ifr_name[16]; int ifr_ifindex; ... }
  emit(movReg(R1, R10));
  emit(movImm(R2, 0));
  for (let k = 0; k < 64; k += 4) emit(str(R2, R1, k));
  emit(ldr(R0, R11, S_IFACE));
  emit(movImm(R3, 0)); // the name's length
  label(NAME_LOOP);
  emit(dpReg(AL, OP_ADD, 0, IP, R0, R3, SH_LSL, 0));
  emit(ldrb(R2, IP, 0));
  emit(cmpImm(R2, 0));
  jump(EQ, NAME_DONE);
  emit(cmpImm(R3, 15));
  jump(HS, NO_IFACE); // longer than IFNAMSIZ - 1: no interface has that name
  emit(dpReg(AL, OP_ADD, 0, IP, R1, R3, SH_LSL, 0));
  emit(strb(R2, IP, 0));
  emit(addImm(R3, R3, 1));
  b(NAME_LOOP);
  label(NAME_DONE);
  emit(cmpImm(R3, 0));
  jump(EQ, NO_IFACE);
  emit(movReg(R2, R1));
  emit(movReg(R0, R9));
  emitConst(R1, SIOCGIFINDEX);
  syscall(SYS_IOCTL);
  emit(cmpImm(R0, 0));
  jump(NE, NO_IFACE);
  // bind(struct sockaddr_ll { sll_family = AF_PACKET, sll_protocol = htons(ETH_P_ALL), sll_ifindex, ... })
  emit(ldr(R0, R11, S_BUF + 16));
  emit(str(R0, R11, S_IFINDEX));
  emit(str(R0, R11, S_BUF + 36));
  emit(movImm(R0, 17));
  emit(strh(R0, R10, 32));
  emit(movImm(R0, 0x300));
  emit(strh(R0, R10, 34));
  emit(movReg(R0, R9));
  emit(addImm(R1, R11, S_BUF + 32));
  emit(movImm(R2, 20));
  syscall(SYS_BIND);
  emit(cmpImm(R0, 0));
  jump(NE, NO_CAPTURE);
  // the deadline: now + S_SECONDS on CLOCK_MONOTONIC
  bl(LIVE_CLOCK);
  emit(ldr(R2, R11, S_SECONDS));
  emit(opReg(OP_ADD, R0, R0, R2));
  emit(str(R0, R11, S_DEADLINE));
  emit(str(R1, R11, S_DEADLINE + 4));

  label(LIVE_LOOP);
  bl(LIVE_CLOCK);
  emit(ldr(R2, R11, S_DEADLINE));
  emit(cmpReg(R0, R2));
  jump(HI, LIVE_DONE);
  jump(LO, LIVE_WAIT);
  emit(ldr(R2, R11, S_DEADLINE + 4));
  emit(cmpReg(R1, R2));
  jump(HS, LIVE_DONE);
  label(LIVE_WAIT);
  // poll({ fd, POLLIN }, 1, POLL_MS)
  emit(str(R9, R11, S_BUF + 24));
  emit(movImm(R0, 1));
  emit(str(R0, R11, S_BUF + 28)); // events = POLLIN, revents = 0
  emit(addImm(R0, R11, S_BUF + 24));
  emit(movImm(R1, 1));
  emit(movImm(R2, POLL_MS));
  syscall(SYS_POLL);
  emit(cmpImm(R0, 0));
  jump(LE, LIVE_LOOP); // nothing yet, or interrupted
  // recvfrom(fd, buffer, LIVE_BUFFER, MSG_DONTWAIT, &sockaddr_ll, &length)
  emit(movImm(R0, 20));
  emit(str(R0, R11, S_BUF + 60));
  emit(movReg(R0, R9));
  emit(ldr(R1, R11, S_LIVE_BUF));
  emitConst(R2, LIVE_BUFFER);
  emit(movImm(R3, 0x40));
  emit(addImm(R4, R11, S_BUF + 32));
  emit(addImm(R5, R11, S_BUF + 60));
  syscall(SYS_RECVFROM);
  emit(cmpImm(R0, 0));
  jump(LT, LIVE_LOOP);
  emit(movReg(R1, R0));
  emit(ldrh(R0, R10, 34)); // sll_protocol, network byte order
  emit(dpImm(AL, OP_ORR, 0, R0, R0, immRot(0x10000)));
  emit(str(R0, R11, S_PROTO));
  emit(ldr(R0, R11, S_BUF + 36)); // sll_ifindex
  emit(str(R0, R11, S_IFINDEX));
  emit(ldrb(R0, R11, S_BUF + 42)); // sll_pkttype: PACKET_HOST, PACKET_OUTGOING, ...
  emit(str(R0, R11, S_PKT_TYPE));
  emit(ldr(R0, R11, S_LIVE_BUF));
  bl(RUN_ONE);
  b(LIVE_LOOP);
  label(LIVE_DONE);
  b(PRINT);

  // clock: r0 = CLOCK_MONOTONIC seconds, r1 = nanoseconds
  label(LIVE_CLOCK);
  emit(movImm(R0, 1));
  emit(addImm(R1, R11, S_BUF + 52));
  syscall(SYS_CLOCK_GETTIME);
  emit(ldr(R0, R11, S_BUF + 52));
  emit(ldr(R1, R11, S_BUF + 56));
  emit(bx(LR));

  // errors: one line on stderr, exit status 1
  label(NO_SOCKET);
  emit(movImm(R8, 2));
  emit(dpImm(AL, OP_CMN, 1, 0, R0, 1)); // -EPERM
  emit(dpImm(NE, OP_CMN, 1, 0, R0, 13)); // -EACCES
  jump(NE, LIVE_ERROR);
  say(S_NOT_PERMITTED);
  exitWith(1);
  label(LIVE_ERROR);
  say(S_NO_SOCKET);
  exitWith(1);
  label(NO_IFACE);
  emit(movImm(R8, 2));
  say(S_NO_IFACE);
  b(IFACE_NAME);
  label(NO_CAPTURE);
  emit(movImm(R8, 2));
  say(S_NO_CAPTURE);
  label(IFACE_NAME);
  emit(ldr(R1, R11, S_IFACE));
  emit(movImm(R2, 0));
  label(IFACE_LEN);
  emit(dpReg(AL, OP_ADD, 0, IP, R1, R2, SH_LSL, 0));
  emit(ldrb(IP, IP, 0));
  emit(cmpImm(IP, 0));
  skip(EQ, 2);
  emit(addImm(R2, R2, 1));
  b(IFACE_LEN);
  bl(WRITE);
  say(S_NL);
  exitWith(1);
}
