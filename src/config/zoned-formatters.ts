/**
 * Intl.DateTimeFormat per IANA time zone, built once: building one costs far more than using it, and
 * policies use a handful of zones. Each caller keeps its own cache for the fields it reads.
 */
export function zonedFormatters(options: Intl.DateTimeFormatOptions): (timeZone: string) => Intl.DateTimeFormat {
  const formatters = new Map<string, Intl.DateTimeFormat>();
  return (timeZone) => {
    let format = formatters.get(timeZone);
    if (!format) {
      format = new Intl.DateTimeFormat('en-US', { ...options, timeZone });
      formatters.set(timeZone, format);
    }
    return format;
  };
}
