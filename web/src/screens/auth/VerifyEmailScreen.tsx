import { useQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "wouter";
import { api, data } from "../../api/client";
import { ErrorMessage, Spinner } from "../../ui/Feedback";
import { AuthCard } from "./AuthCard";

/** Where the mailed link lands (`APP_URL/verify-email?token=`): confirms the address once. */
export default function VerifyEmailScreen() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const result = useQuery({
    queryKey: ["verify-email", token],
    queryFn: async () => data(await api.POST("/v1/auth/verify-email", { body: { token } })),
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
  });
  return (
    <AuthCard title="Confirm your email">
      {result.isPending ? <Spinner label="Confirming" /> : null}
      <ErrorMessage error={result.error} />
      {result.data ? (
        <p role="status">
          {result.data.email} is confirmed.{" "}
          <Link href="/" className="font-semibold text-blue-700 underline">
            Go to Edgegram
          </Link>
        </p>
      ) : null}
    </AuthCard>
  );
}
