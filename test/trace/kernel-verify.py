#!/usr/bin/env python3
# Loads programs into this machine's Linux kernel, to have the kernel's own verifier judge them: reads JSON on
# standard input, a list of objects {"maps": [{type, keySize, valueSize, maxEntries, flags}], "programs": [{name,
# type, insns}]} (lddw map references as the kernel's pseudo instructions with map indexes for imm); for each
# object creates the maps, puts their file descriptors in the instructions and calls BPF_PROG_LOAD. Prints one
# line per program: "OK i name" or "FAIL i name: <the verifier's last lines>" (i: the object's index). Exit status
# 2 when the bpf() system call is not available here, 1 when a program was refused.
import ctypes, json, os, platform, struct, sys

SYS_BPF = {"x86_64": 321, "aarch64": 280, "armv7l": 386}.get(platform.machine())
PROG_TYPES = {"socket_filter": 1, "kprobe": 2, "perf_event": 7, "raw_tracepoint": 17}
libc = ctypes.CDLL(None, use_errno=True)

def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, len(attr))
    r = libc.syscall(SYS_BPF, cmd, buf, len(attr))
    return r, ctypes.get_errno()

def load_object(index, spec):
    fds = []
    try:
        for m in spec["maps"]:
            attr = struct.pack("IIIII", m["type"], m["keySize"], m["valueSize"], m["maxEntries"], m["flags"]) + bytes(108)
            fd, err = bpf(0, attr)  # BPF_MAP_CREATE
            if fd < 0:
                raise OSError(err, f"bpf() map create failed: {os.strerror(err)}")
            fds.append(fd)
        status = 0
        for p in spec["programs"]:
            code = bytearray(bytes.fromhex(p["insns"]))
            for i in range(0, len(code), 8):
                if code[i] == 0x18 and (code[i + 1] >> 4) in (1, 2):  # lddw of a map or a map value
                    map_index = struct.unpack_from("<i", code, i + 4)[0]
                    struct.pack_into("<i", code, i + 4, fds[map_index])
            insns = ctypes.create_string_buffer(bytes(code), len(code))
            license = ctypes.create_string_buffer(b"GPL")
            log = ctypes.create_string_buffer(1 << 20)
            name = p["name"][:15].encode()
            attr = struct.pack("IIQQIIQII16sII", PROG_TYPES[p["type"]], len(code) // 8, ctypes.addressof(insns),
                               ctypes.addressof(license), 1, len(log), ctypes.addressof(log), 0, 0, name, 0, 0) + bytes(64)
            fd, err = bpf(5, attr)  # BPF_PROG_LOAD
            if fd >= 0:
                print(f"OK {index} {p['name']}")
                os.close(fd)
            else:
                text = log.value.decode(errors="replace").strip().splitlines()
                print(f"FAIL {index} {p['name']}: {os.strerror(err)}: " + " | ".join(text[-4:]))
                status = 1
        return status
    finally:
        for fd in fds:
            os.close(fd)

def main():
    objects = json.load(sys.stdin)
    if SYS_BPF is None:
        print("no bpf() system call number for this machine"); return 2
    status = 0
    for index, spec in enumerate(objects):
        try:
            status |= load_object(index, spec)
        except OSError as e:
            print(e.strerror); return 2
    return status

sys.exit(main())
