import type { ReactNode } from "react";

export function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <div className="space-y-6">
      <div className="text-center">
        <p className="text-3xl font-bold tracking-tight" aria-hidden="true">
          Edgegram
        </p>
        <h1 className="mt-4 text-lg font-semibold">{title}</h1>
      </div>
      <div className="rounded-xl border border-neutral-300 p-6">{children}</div>
      {footer ? <div className="text-center text-sm text-neutral-700">{footer}</div> : null}
    </div>
  );
}
