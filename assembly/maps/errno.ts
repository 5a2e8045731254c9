// Linux errno values that map operations and helpers return, negated as the kernel returns them.
export const ENOENT = 2;
export const E2BIG = 7;
export const EBADF = 9; // a map id that names no map, as the kernel answers an fd that names nothing
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EEXIST = 17;
export const EINVAL = 22;
export const ENOSPC = 28;
export const ERANGE = 34;
export const ENOTSUPP = 524; // the kernel-internal "operation not supported" that map creation returns
