import { Fragment } from "react";
import { Link } from "wouter";

/** Caption text with #hashtags and @mentions as links to their pages. */
export function RichText({ text }: { text: string }) {
  let offset = 0;
  const parts = text.split(/([#@][\p{L}\p{N}_.]+)/u).map((part) => {
    const at = offset;
    offset += part.length;
    return { part, at };
  });
  return (
    <>
      {parts.map(({ part, at }) => {
        if (part.startsWith("#") && part.length > 1) {
          return (
            <Link
              key={at}
              href={`/tags/${encodeURIComponent(part.slice(1).toLowerCase())}`}
              className="text-blue-700 underline decoration-blue-300 underline-offset-2 hover:decoration-blue-700"
            >
              {part}
            </Link>
          );
        }
        if (part.startsWith("@") && part.length > 1) {
          return (
            <Link
              key={at}
              href={`/u/${part.slice(1).replace(/\.$/, "")}`}
              className="text-blue-700 underline decoration-blue-300 underline-offset-2 hover:decoration-blue-700"
            >
              {part}
            </Link>
          );
        }
        return <Fragment key={at}>{part}</Fragment>;
      })}
    </>
  );
}
