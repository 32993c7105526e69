import { z } from "@hono/zod-openapi";
import { pageOf } from "../../http/cursor";
import { UserSummarySchema } from "../users/user-summary";

export const FollowStateSchema = z.object({ state: z.enum(["following", "requested", "none"]) }).openapi("FollowState");

export const UserPageSchema = pageOf(UserSummarySchema).openapi("UserPage");

export const BlockStateSchema = z.object({ blocking: z.boolean() }).openapi("BlockState");
export const MuteStateSchema = z.object({ muting: z.boolean() }).openapi("MuteState");
export const CloseFriendStateSchema = z.object({ close_friend: z.boolean() }).openapi("CloseFriendState");
