// The driver's live capture (--iface, socket filters only): an AF_PACKET raw socket bound to the interface, read
// until the deadline or a signal (SIGINT, Ctrl-C, or SIGTERM: its handler moves the deadline to the past, as
// bpftrace ends at Ctrl-C), one run per packet, with a snapshot of the maps when one is due (snapshots.ts); then
// the results, as after --pcap, exit status 0. Its errors (no socket, no such interface) are one line on stderr
// and exit status 1.

import {
  AL, EQ, HI, HS, IP, LE, LO, LR, LT, NE, OP_ADD, OP_CMN, OP_ORR, R0, R1, R10, R11, R2, R3, R4, R5, R8, R9, SH_LSL,
  addImm, bx, cmpImm, cmpReg, dpImm, dpReg, immRot, ldr, ldrb, ldrh, movImm, movReg, opReg, str, strb, strh,
} from "../../../assembly/arm32/a32/encoder";
import { block } from "../../../assembly/arm32/a32/labels";
import { Context } from "../../../assembly/arm32/jit/context";
import {
  IFACE_LEN, IFACE_NAME, LIVE, LIVE_CLOCK, LIVE_DONE, LIVE_ERROR, LIVE_LOOP, LIVE_WAIT, NAME_DONE, NAME_LOOP,
  NO_CAPTURE, NO_IFACE, NO_SOCKET, PRINT, RUN_ONE, SYS_BIND, SYS_CLOCK_GETTIME, SYS_IOCTL, SYS_POLL, SYS_RECVFROM,
  SYS_SOCKET, S_NL, S_NOT_PERMITTED, S_NO_CAPTURE, S_NO_IFACE, S_NO_SOCKET, WRITE, exitWith, mapAnonymous, say,
  syscall,
} from "./common";
import { OPT_SNAPSHOT } from "../abi";
import { SNAP_CHECK, SNAP_SCHEDULE, SNAP_SECONDS } from "./snapshots";
import { L_STATE, S_BUF, S_DEADLINE, S_IFACE, S_IFINDEX, S_LIVE_BUF, S_PKT_TYPE, S_PROTO, S_SECONDS } from "../image";

const ON_SIGINT = block("driver/live", 1); // the SIGINT (and SIGTERM) handler
const SYS_RT_SIGACTION: u32 = 174;
const SIGINT: u32 = 2;
const SIGTERM: u32 = 15;

const LIVE_BUFFER: u32 = 256 << 10; // bytes of one received packet at most (loopback frames reach 64 KiB + 14)
const POLL_MS: u32 = 100; // a live capture checks the clock at least this often
const SIOCGIFINDEX: u32 = 0x8933;

/**
 * rt_sigaction(SIGINT and SIGTERM, { handler, flags 0, restorer 0, mask 0 }, NULL, 8): the struct at S_BUF, copied by the
 * kernel. The handler (ON_SIGINT, with the live capture) zeroes S_DEADLINE and S_SECONDS; a blocked system call
 * returns -EINTR. Uses r0-r3, r7.
 */
export function onSigint(c: Context): void {
  c.addressOf(R0, ON_SIGINT, 0);
  c.emit(str(R0, R11, S_BUF));
  c.emit(movImm(R0, 0));
  for (let k = 4; k < 20; k += 4) c.emit(str(R0, R11, S_BUF + k));
  for (let k = 0; k < 2; k++) { // SIGTERM too: the daemon stops its iface: links with it
    c.emit(movImm(R0, k == 0 ? SIGINT : SIGTERM));
    c.emit(addImm(R1, R11, S_BUF));
    c.emit(movImm(R2, 0));
    c.emit(movImm(R3, 8));
    syscall(c, SYS_RT_SIGACTION);
  }
}

/**
 * The live capture (socket filters): S_IFACE names the interface, S_SECONDS how long to read it. Ends at PRINT.
 * The ifreq (32 bytes) is built at S_BUF, the sockaddr_ll (20 bytes) at S_BUF + 32, the timespec at S_BUF + 52,
 * the pollfd at S_BUF + 24 (after the ifreq is used) and recvfrom's address length at S_BUF + 60.
 */
export function emitLive(c: Context): void {
  const snapshots = (c.driverOpts & OPT_SNAPSHOT) != 0;
  c.label(LIVE);
  mapAnonymous(c, LIVE_BUFFER, NO_CAPTURE); // the packet buffer, committed as packets arrive
  c.emit(str(R0, R11, S_LIVE_BUF));
  // before the socket exists (so that a bound socket means an interrupt is handled): poll returns -EINTR on the
  // signal, and the loop finds the deadline past
  onSigint(c);
  // socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL))
  c.emit(movImm(R0, 17));
  c.emit(movImm(R1, 3));
  c.emit(movImm(R2, 0x300));
  syscall(c, SYS_SOCKET);
  c.emit(dpImm(AL, OP_CMN, 1, 0, R0, immRot(4096)));
  c.jump(HI, NO_SOCKET);
  c.emit(movReg(R9, R0)); // the socket, for good (the program preserves r4-r11)
  c.emit(addImm(R10, R11, S_BUF)); // the structures below
  // ioctl(SIOCGIFINDEX): struct ifreq { char ifr_name[16]; int ifr_ifindex; ... }
  c.emit(movReg(R1, R10));
  c.emit(movImm(R2, 0));
  for (let k = 0; k < 64; k += 4) c.emit(str(R2, R1, k));
  c.emit(ldr(R0, R11, S_IFACE));
  c.emit(movImm(R3, 0)); // the name's length
  c.label(NAME_LOOP);
  c.emit(dpReg(AL, OP_ADD, 0, IP, R0, R3, SH_LSL, 0));
  c.emit(ldrb(R2, IP, 0));
  c.emit(cmpImm(R2, 0));
  c.jump(EQ, NAME_DONE);
  c.emit(cmpImm(R3, 15));
  c.jump(HS, NO_IFACE); // longer than IFNAMSIZ - 1: no interface has that name
  c.emit(dpReg(AL, OP_ADD, 0, IP, R1, R3, SH_LSL, 0));
  c.emit(strb(R2, IP, 0));
  c.emit(addImm(R3, R3, 1));
  c.b(NAME_LOOP);
  c.label(NAME_DONE);
  c.emit(cmpImm(R3, 0));
  c.jump(EQ, NO_IFACE);
  c.emit(movReg(R2, R1));
  c.emit(movReg(R0, R9));
  c.emitConst(R1, SIOCGIFINDEX);
  syscall(c, SYS_IOCTL);
  c.emit(cmpImm(R0, 0));
  c.jump(NE, NO_IFACE);
  // bind(struct sockaddr_ll { sll_family = AF_PACKET, sll_protocol = htons(ETH_P_ALL), sll_ifindex, ... })
  c.emit(ldr(R0, R11, S_BUF + 16));
  c.emit(str(R0, R11, S_IFINDEX));
  c.emit(str(R0, R11, S_BUF + 36));
  c.emit(movImm(R0, 17));
  c.emit(strh(R0, R10, 32));
  c.emit(movImm(R0, 0x300));
  c.emit(strh(R0, R10, 34));
  c.emit(movReg(R0, R9));
  c.emit(addImm(R1, R11, S_BUF + 32));
  c.emit(movImm(R2, 20));
  syscall(c, SYS_BIND);
  c.emit(cmpImm(R0, 0));
  c.jump(NE, NO_CAPTURE);
  // the deadline: now + S_SECONDS on CLOCK_MONOTONIC (its default: snapshots.ts); the first snapshot's due time
  c.bl(LIVE_CLOCK);
  if (snapshots) c.bl(SNAP_SCHEDULE);
  c.emit(ldr(R2, R11, S_SECONDS));
  if (snapshots) c.bl(SNAP_SECONDS);
  c.emit(opReg(OP_ADD, R0, R0, R2));
  c.emit(str(R0, R11, S_DEADLINE));
  c.emit(str(R1, R11, S_DEADLINE + 4));

  c.label(LIVE_LOOP);
  c.bl(LIVE_CLOCK);
  if (snapshots) c.bl(SNAP_CHECK);
  c.emit(ldr(R2, R11, S_DEADLINE));
  c.emit(cmpReg(R0, R2));
  c.jump(HI, LIVE_DONE);
  c.jump(LO, LIVE_WAIT);
  c.emit(ldr(R2, R11, S_DEADLINE + 4));
  c.emit(cmpReg(R1, R2));
  c.jump(HS, LIVE_DONE);
  c.label(LIVE_WAIT);
  // poll({ fd, POLLIN }, 1, POLL_MS)
  c.emit(str(R9, R11, S_BUF + 24));
  c.emit(movImm(R0, 1));
  c.emit(str(R0, R11, S_BUF + 28)); // events = POLLIN, revents = 0
  c.emit(addImm(R0, R11, S_BUF + 24));
  c.emit(movImm(R1, 1));
  c.emit(movImm(R2, POLL_MS));
  syscall(c, SYS_POLL);
  c.emit(cmpImm(R0, 0));
  c.jump(LE, LIVE_LOOP); // nothing yet, or interrupted
  // recvfrom(fd, buffer, LIVE_BUFFER, MSG_DONTWAIT, &sockaddr_ll, &length)
  c.emit(movImm(R0, 20));
  c.emit(str(R0, R11, S_BUF + 60));
  c.emit(movReg(R0, R9));
  c.emit(ldr(R1, R11, S_LIVE_BUF));
  c.emitConst(R2, LIVE_BUFFER);
  c.emit(movImm(R3, 0x40));
  c.emit(addImm(R4, R11, S_BUF + 32));
  c.emit(addImm(R5, R11, S_BUF + 60));
  syscall(c, SYS_RECVFROM);
  c.emit(cmpImm(R0, 0));
  c.jump(LT, LIVE_LOOP);
  c.emit(movReg(R1, R0));
  c.emit(ldrh(R0, R10, 34)); // sll_protocol, network byte order
  c.emit(dpImm(AL, OP_ORR, 0, R0, R0, immRot(0x10000)));
  c.emit(str(R0, R11, S_PROTO));
  c.emit(ldr(R0, R11, S_BUF + 36)); // sll_ifindex
  c.emit(str(R0, R11, S_IFINDEX));
  c.emit(ldrb(R0, R11, S_BUF + 42)); // sll_pkttype: PACKET_HOST, PACKET_OUTGOING, ...
  c.emit(str(R0, R11, S_PKT_TYPE));
  c.emit(ldr(R0, R11, S_LIVE_BUF));
  c.bl(RUN_ONE);
  c.b(LIVE_LOOP);
  c.label(LIVE_DONE);
  c.b(PRINT);

  // the SIGINT handler: the deadline becomes 0, and so do the seconds it is computed from if it is not yet (any
  // register may be used: sigreturn restores them all)
  c.label(ON_SIGINT);
  c.addressOf(R1, L_STATE, 0);
  c.emit(movImm(R0, 0));
  c.emit(str(R0, R1, S_SECONDS));
  c.emit(str(R0, R1, S_DEADLINE));
  c.emit(str(R0, R1, S_DEADLINE + 4));
  c.emit(bx(LR));

  // clock: r0 = CLOCK_MONOTONIC seconds, r1 = nanoseconds
  c.label(LIVE_CLOCK);
  c.emit(movImm(R0, 1));
  c.emit(addImm(R1, R11, S_BUF + 52));
  syscall(c, SYS_CLOCK_GETTIME);
  c.emit(ldr(R0, R11, S_BUF + 52));
  c.emit(ldr(R1, R11, S_BUF + 56));
  c.emit(bx(LR));

  // errors: one line on stderr, exit status 1
  c.label(NO_SOCKET);
  c.emit(movImm(R8, 2));
  c.emit(dpImm(AL, OP_CMN, 1, 0, R0, 1)); // -EPERM
  c.emit(dpImm(NE, OP_CMN, 1, 0, R0, 13)); // -EACCES
  c.jump(NE, LIVE_ERROR);
  say(c, S_NOT_PERMITTED);
  exitWith(c, 1);
  c.label(LIVE_ERROR);
  say(c, S_NO_SOCKET);
  exitWith(c, 1);
  c.label(NO_IFACE);
  c.emit(movImm(R8, 2));
  say(c, S_NO_IFACE);
  c.b(IFACE_NAME);
  c.label(NO_CAPTURE);
  c.emit(movImm(R8, 2));
  say(c, S_NO_CAPTURE);
  c.label(IFACE_NAME);
  c.emit(ldr(R1, R11, S_IFACE));
  c.emit(movImm(R2, 0));
  c.label(IFACE_LEN);
  c.emit(dpReg(AL, OP_ADD, 0, IP, R1, R2, SH_LSL, 0));
  c.emit(ldrb(IP, IP, 0));
  c.emit(cmpImm(IP, 0));
  c.skip(EQ, 2);
  c.emit(addImm(R2, R2, 1));
  c.b(IFACE_LEN);
  c.bl(WRITE);
  say(c, S_NL);
  exitWith(c, 1);
}
