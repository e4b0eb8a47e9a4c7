import { InvalidArgumentError } from "../../src/base/errors";
import { parseFlinkDuration } from "../../src/module";

describe("parseFlinkDuration", () => {
  test.each([
    ["2m", 120_000],
    ["1 min", 60_000],
    ["15min", 900_000],
    ["2 minutes", 120_000],
    ["10s", 10_000],
    ["30 sec", 30_000],
    ["5 secs", 5_000],
    ["1 second", 1_000],
    ["500 ms", 500],
    ["250 millis", 250],
    ["1 millisecond", 1],
    ["1h", 3_600_000],
    ["2 hours", 7_200_000],
    ["1d", 86_400_000],
    ["3 days", 259_200_000],
    ["1500µs", 1.5],
    ["2000000 ns", 2],
    ["1000", 1_000],
    ["0", 0],
    ["1 MIN", 60_000],
    ["10S", 10_000],
    ["  10 s\t", 10_000],
    ["10   s", 10_000],
  ])("%j is %d ms", (text, ms) => {
    expect(parseFlinkDuration(text)).toBe(ms);
  });

  test("a number is milliseconds", () => {
    expect(parseFlinkDuration(20_000)).toBe(20_000);
    expect(parseFlinkDuration(0)).toBe(0);
  });

  test.each([
    ["", "it is empty"],
    ["   ", "it is empty"],
    ["ms", "it must start with a whole number"],
    ["-1s", "it must start with a whole number"],
    ["1.5s", 'unknown unit ".5s"'],
    ["1h30m", 'unknown unit "h30m"'],
    ["5 mins", 'unknown unit "mins"'],
    ["10 fortnights", 'unknown unit "fortnights"'],
    ["99999999999999999999", "99999999999999999999 does not fit in 64 bits"],
    ["9223372036854775807 d", "it is too long"],
  ])("%j is refused: %s", (text, fault) => {
    expect(() => parseFlinkDuration(text)).toThrow(InvalidArgumentError);
    expect(() => parseFlinkDuration(text)).toThrow(`${JSON.stringify(text)} is not a duration: ${fault}; write a whole number and a unit`);
  });

  test.each([-1, 1.5, Number.NaN])("the number %d is refused", (value) => {
    expect(() => parseFlinkDuration(value)).toThrow("a number of milliseconds must be a whole number ≥ 0");
  });

  test("the error lists the units", () => {
    expect(() => parseFlinkDuration("2 weeks")).toThrow(
      '"2 weeks" is not a duration: unknown unit "weeks"; write a whole number and a unit (ms (milli, millis, millisecond[s]), ' +
        "s (sec[s], second[s]), m or min (minute[s]), h (hour[s]), d (day[s]), µs (micro[s], microsecond[s]), ns (nano[s], nanosecond[s])), " +
        'e.g. "30s" or "2 min"; a bare number is milliseconds',
    );
  });
});
