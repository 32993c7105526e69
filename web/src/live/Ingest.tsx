import { useId, useState } from "react";
import type { Schemas } from "../api/client";
import { Button } from "../ui/Button";

type Ingest = Schemas["LiveIngest"];

function CopyField({ label, value, secret = false }: { label: string; value: string; secret?: boolean }) {
  const id = useId();
  const [shown, setShown] = useState(!secret);
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("yes");
    } catch {
      // No clipboard (an insecure page, or permission refused): the field can still be selected.
      setCopied("no");
    }
  }
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-neutral-800">
        {label}
      </label>
      <div className="flex flex-wrap gap-2">
        <input
          id={id}
          readOnly
          type={shown ? "text" : "password"}
          value={value}
          onFocus={(event) => event.target.select()}
          className="min-w-0 flex-1 rounded-lg border border-neutral-400 bg-neutral-50 px-3 py-2 font-mono text-sm text-neutral-900"
        />
        {secret ? (
          <Button variant="secondary" onClick={() => setShown(!shown)}>
            {shown ? "Hide" : "Show"}
            <span className="sr-only"> {label}</span>
          </Button>
        ) : null}
        <Button variant="secondary" onClick={() => void copy()}>
          Copy<span className="sr-only"> {label}</span>
        </Button>
      </div>
      <p role="status" className="text-sm text-neutral-700">
        {copied === "yes" ? `${label} copied.` : copied === "no" ? "Could not copy: select the text instead." : ""}
      </p>
    </div>
  );
}

/**
 * Where the host's encoder sends video (OBS and the like): the RTMPS URL and stream key first,
 * SRT and WHIP for encoders that speak them. Only the host ever receives these.
 */
export function IngestDetails({ ingest }: { ingest: Ingest }) {
  const other = [
    ingest.srt_url ? { label: "SRT URL", value: ingest.srt_url, secret: false } : null,
    ingest.srt_stream_id ? { label: "SRT stream ID", value: ingest.srt_stream_id, secret: true } : null,
    ingest.srt_passphrase ? { label: "SRT passphrase", value: ingest.srt_passphrase, secret: true } : null,
    ingest.whip_url ? { label: "WHIP URL", value: ingest.whip_url, secret: true } : null,
  ].filter((f) => f !== null);
  return (
    <section aria-labelledby="ingest-heading" className="space-y-3 rounded-xl border border-neutral-200 p-4">
      <h2 id="ingest-heading" className="font-semibold">
        Connect your streaming software
      </h2>
      <p className="rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
        <strong>Keep your stream key secret.</strong> Anyone who has it can broadcast on your account. Don't share it or
        show it on screen.
      </p>
      {ingest.rtmps_url ? <CopyField label="RTMPS URL" value={ingest.rtmps_url} /> : null}
      {ingest.stream_key ? <CopyField label="Stream key" value={ingest.stream_key} secret /> : null}
      {other.length > 0 ? (
        <details className="text-sm">
          <summary className="cursor-pointer font-medium text-blue-700">Other ways to connect (SRT, WHIP)</summary>
          <div className="mt-3 space-y-3">
            {other.map((field) => (
              <CopyField key={field.label} {...field} />
            ))}
          </div>
        </details>
      ) : null}
      <p className="text-sm text-neutral-600">
        You go live as soon as your video reaches us; your followers are told then.
      </p>
    </section>
  );
}
