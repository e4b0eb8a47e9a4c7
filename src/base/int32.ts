/** The 32-bit signed range: `io.statefun.types/int`, and the runtime's int settings (`maxNumBatchRequests`). */
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
