/* ---- rtm-wasm public API (hand-written; the classes above are generated without types) ---- */

export declare namespace RtmStatusCode {
  enum ConnectionState {
    DISCONNECTED = "DISCONNECTED",
    CONNECTING = "CONNECTING",
    CONNECTED = "CONNECTED",
    RECONNECTING = "RECONNECTING",
    ABORTED = "ABORTED",
  }
  enum ConnectionChangeReason {
    LOGIN = "LOGIN",
    LOGIN_SUCCESS = "LOGIN_SUCCESS",
    LOGIN_FAILURE = "LOGIN_FAILURE",
    LOGIN_TIMEOUT = "LOGIN_TIMEOUT",
    INTERRUPTED = "INTERRUPTED",
    LOGOUT = "LOGOUT",
    BANNED_BY_SERVER = "BANNED_BY_SERVER",
    REMOTE_LOGIN = "REMOTE_LOGIN",
    TOKEN_EXPIRED = "TOKEN_EXPIRED",
  }
  enum LocalInvitationState {
    IDLE = "IDLE",
    SENT_TO_REMOTE = "SENT_TO_REMOTE",
    RECEIVED_BY_REMOTE = "RECEIVED_BY_REMOTE",
    ACCEPTED_BY_REMOTE = "ACCEPTED_BY_REMOTE",
    REFUSED_BY_REMOTE = "REFUSED_BY_REMOTE",
    CANCELED = "CANCELED",
    FAILURE = "FAILURE",
  }
  enum RemoteInvitationState {
    INVITATION_RECEIVED = "INVITATION_RECEIVED",
    ACCEPT_SENT_TO_LOCAL = "ACCEPT_SENT_TO_LOCAL",
    REFUSED = "REFUSED",
    ACCEPTED = "ACCEPTED",
    CANCELED = "CANCELED",
    FAILURE = "FAILURE",
  }
  enum LocalInvitationFailureReason {
    UNKNOWN = "UNKNOWN",
    PEER_NO_RESPONSE = "PEER_NO_RESPONSE",
    INVITATION_EXPIRE = "INVITATION_EXPIRE",
    PEER_OFFLINE = "PEER_OFFLINE",
    NOT_LOGGEDIN = "NOT_LOGGEDIN",
  }
  enum RemoteInvitationFailureReason {
    UNKNOWN = "UNKNOWN",
    PEER_OFFLINE = "PEER_OFFLINE",
    ACCEPT_FAILURE = "ACCEPT_FAILURE",
    INVITATION_EXPIRE = "INVITATION_EXPIRE",
  }
  enum PeerOnlineState {
    ONLINE = "ONLINE",
    UNREACHABLE = "UNREACHABLE",
    OFFLINE = "OFFLINE",
  }
  enum PeerSubscriptionOption {
    ONLINE_STATUS = "ONLINE_STATUS",
  }
  enum MessageType {
    TEXT = "TEXT",
    RAW = "RAW",
  }
  /** The region codes of SDKs before 1.4 (in agora-rtm-sdk's typings; no API takes them). */
  enum LegacyAreaCode {
    CN = "CN",
    NA = "NA",
    EU = "EU",
    AS = "AS",
    JP = "JP",
    IN = "IN",
    GLOB = "GLOB",
    OC = "OC",
    SA = "SA",
    AF = "AF",
    OVS = "OVS",
  }
  enum AreaCode {
    GLOBAL = "GLOBAL",
    INDIA = "INDIA",
    JAPAN = "JAPAN",
    ASIA = "ASIA",
    EUROPE = "EUROPE",
    CHINA = "CHINA",
    NORTH_AMERICA = "NORTH_AMERICA",
  }
}

/** A TEXT message: at most 32 KB of UTF-8. */
export interface RtmTextMessage {
  text: string;
  messageType?: "TEXT";
  rawMessage?: never;
  description?: never;
}

/** A RAW message: bytes plus an optional description, together at most 32 KB. */
export interface RtmRawMessage {
  rawMessage: Uint8Array;
  description?: string;
  messageType?: "RAW";
  text?: never;
}

export type RtmMessage = RtmTextMessage | RtmRawMessage;

/** A message as listeners receive it: `messageType` is always set. */
export type RtmReceivedMessage =
  | (RtmTextMessage & { messageType: "TEXT" })
  | (RtmRawMessage & { messageType: "RAW"; description: string });

export interface PeerMessageSendResult {
  /** True once the peer's SDK has the message; false when the peer is offline. */
  hasPeerReceived: boolean;
}

export interface SendMessageOptions {
  /** Store the message for an offline peer, delivered at its next login. */
  enableOfflineMessaging?: boolean;
  enableHistoricalMessaging?: boolean;
}

export interface ReceivedMessageProperties {
  /** The server's receive time, ms since the Unix epoch. */
  serverReceivedTs: number;
  /** The message was stored while this user was offline. */
  isOfflineMessage: boolean;
}

export type LogFilterType = {
  error: boolean;
  warn: boolean;
  info: boolean;
  track: boolean;
  debug: boolean;
};

export interface RtmConfig {
  enableLogUpload?: boolean;
  logFilter?: LogFilterType;
  enableCloudProxy?: boolean;
  /** rtm-wasm: the rtm-server WebSocket URL, e.g. `wss://rtm.example.com/rtm`. */
  serverUrl?: string;
}

/** Every rejected Promise and thrown call carries one of these. */
export interface RtmError extends Error {
  /** Agora's numeric code for the operation (e.g. 102: not logged in). */
  code: number;
  /** The error class, e.g. `RtmInvalidArgumentError`. */
  name: string;
}

/** A listener's arguments from an event-map entry (agora-rtm-sdk's `ListenerType`, verbatim:
 *  non-distributive, so a union of handlers registered in a loop over the keys type-checks). */
type ListenerArgs<T> = [T] extends [(...args: infer U) => any] ? U : [T] extends [void] ? [] : [T];

/** What `on` passes for event E: for MessageFromPeer and ChannelMessage, more precise than the
 *  event map (whose parameter types are agora-rtm-sdk's, so that handlers typed from the map can
 *  also be called with Agora-shaped values): `messageType` is always set, a RAW message always
 *  has its `description`, the properties always have `isOfflineMessage`. */
type DeliveredArgs<Events, E extends keyof Events> = [E] extends ["MessageFromPeer"] | ["ChannelMessage"]
  ? [message: RtmReceivedMessage, peerId: string, messageProps: ReceivedMessageProperties]
  : ListenerArgs<Events[E]>;

/** The message properties as agora-rtm-sdk's event maps declare them (isOfflineMessage optional). */
type EventMessageProperties = Pick<ReceivedMessageProperties, "serverReceivedTs"> & Partial<ReceivedMessageProperties>;

/** Node's EventEmitter over an event map; listeners run with `this` set to the object. */
export declare class RtmEventEmitter<Events> {
  on<E extends keyof Events>(event: E, listener: (...args: DeliveredArgs<Events, E>) => any): this;
  addListener<E extends keyof Events>(event: E, listener: (...args: DeliveredArgs<Events, E>) => any): this;
  once<E extends keyof Events>(event: E, listener: (...args: DeliveredArgs<Events, E>) => any): this;
  prependListener<E extends keyof Events>(event: E, listener: (...args: DeliveredArgs<Events, E>) => any): this;
  prependOnceListener<E extends keyof Events>(event: E, listener: (...args: DeliveredArgs<Events, E>) => any): this;
  /** Calls the listeners of `event` (a throwing listener throws out of it); whether there were any. */
  emit<E extends keyof Events>(event: E, ...args: DeliveredArgs<Events, E>): boolean;
  eventNames(): Array<keyof Events>;
  setMaxListeners(n: number): this;
  getMaxListeners(): number;
  off<E extends keyof Events>(event: E, listener: (...args: any[]) => any): this;
  removeListener<E extends keyof Events>(event: E, listener: (...args: any[]) => any): this;
  removeAllListeners<E extends keyof Events>(event?: E): this;
  listeners<E extends keyof Events>(event: E): Function[];
  rawListeners<E extends keyof Events>(event: E): Function[];
  listenerCount<E extends keyof Events>(event: E): number;
}

export declare namespace RtmEvents {
  interface RtmClientEvents {
    ConnectionStateChanged: (
      newState: RtmStatusCode.ConnectionState,
      reason: RtmStatusCode.ConnectionChangeReason,
    ) => void;
    /** Listeners registered with `on` get an RtmReceivedMessage and full ReceivedMessageProperties. */
    MessageFromPeer: (message: RtmMessage, peerId: string, messageProps: EventMessageProperties) => void;
    /** The token expires in 30 s: call `renewToken()`. */
    TokenPrivilegeWillExpire: () => void;
    /** Reconnecting failed because the token expired: call `renewToken()` and the SDK retries with it. */
    TokenExpired: () => void;
    /** Someone calls: answer with `accept()` or `refuse()`. */
    RemoteInvitationReceived: (remoteInvitation: RemoteInvitation) => void;
    /** Subscribed peers' states: first the current ones on subscribing, then each change. */
    PeersOnlineStatusChanged: (status: PeersOnlineStatusMap) => void;
    /** agora-rtm-sdk: connected through Agora's cloud proxy. rtm-wasm has none: never emitted. */
    FallbackProxyConnected: () => void;
  }
  interface RtmChannelEvents {
    /** A message from another member (never your own). Listeners registered with `on` get an
     *  RtmReceivedMessage and full ReceivedMessageProperties. */
    ChannelMessage: (message: RtmMessage, memberId: string, messageProps: EventMessageProperties) => void;
    /** Not sent above 512 members. */
    MemberJoined: (memberId: string) => void;
    /** Leave, logout, remote login or a lost connection; not sent above 512 members. */
    MemberLeft: (memberId: string) => void;
    /** After joining, then at most once a second (every 3 s above 512 members). */
    MemberCountUpdated: (memberCount: number) => void;
    /** A write with `enableNotificationToChannelMembers`: every attribute of the channel now. */
    AttributesUpdated: (attributes: ChannelAttributes) => void;
  }
  interface LocalInvitationEvents {
    LocalInvitationReceivedByPeer: () => void;
    LocalInvitationAccepted: (response: string) => void;
    LocalInvitationRefused: (response: string) => void;
    LocalInvitationCanceled: () => void;
    LocalInvitationFailure: (reason: RtmStatusCode.LocalInvitationFailureReason) => void;
  }
  interface RemoteInvitationEvents {
    RemoteInvitationAccepted: () => void;
    RemoteInvitationRefused: () => void;
    RemoteInvitationCanceled: (content: string) => void;
    RemoteInvitationFailure: (reason: RtmStatusCode.RemoteInvitationFailureReason) => void;
  }
}

/** User attributes: `{key: value}`. */
export interface AttributesMap {
  [key: string]: string;
}

export interface ChannelAttributeProperties {
  value: string;
  lastUpdateUserId: string;
  /** ms since the Unix epoch. */
  lastUpdateTs: number;
}

export interface ChannelAttributes {
  [key: string]: ChannelAttributeProperties;
}

export interface ChannelAttributeOptions {
  /** Push the full new attribute set to the channel's members (AttributesUpdated). */
  enableNotificationToChannelMembers?: boolean;
}

export interface PeersOnlineStatusMap {
  [peerId: string]: RtmStatusCode.PeerOnlineState;
}

export interface PeersOnlineStatusResult {
  [peerId: string]: boolean;
}

export type LocalInvitationEvents = RtmEvents.LocalInvitationEvents;
export type RemoteInvitationEvents = RtmEvents.RemoteInvitationEvents;

/**
 * The caller's invitation. `send()` / `cancel()` outside the life cycle throw an
 * RtmError with the InvitationApiCallError code (2 not started, 3 already ended,
 * 5 already sent); content over 8 KB or setting `response` throws code 1.
 */
export declare class LocalInvitation extends RtmEventEmitter<LocalInvitationEvents> {
  private constructor();
  readonly calleeId: string;
  /** This invitation's id (a UUID). */
  readonly callId: string;
  content: string;
  channelId: string;
  readonly response: string;
  readonly state: RtmStatusCode.LocalInvitationState;
  send(): void;
  cancel(): void;
}

/** The callee's side. `accept()` / `refuse()` throw code 3 (ended) or 4 (being accepted). */
export declare class RemoteInvitation extends RtmEventEmitter<RemoteInvitationEvents> {
  private constructor();
  readonly callerId: string;
  /** This invitation's id (a UUID). */
  readonly callId: string;
  readonly content: string;
  readonly channelId: string;
  response: string;
  readonly state: RtmStatusCode.RemoteInvitationState;
  accept(): void;
  refuse(): void;
}

export interface ChannelMemberCountResult {
  [channelId: string]: number;
}

export declare class RtmChannel extends RtmEventEmitter<RtmEvents.RtmChannelEvents> {
  private constructor();
  readonly channelId: string;
  /** Rejects with JOIN_CHANNEL_ERR_* (5: more than 20 channels, 6: already joined, 102: not logged in, ...). */
  join(): Promise<void>;
  leave(): Promise<void>;
  /** Resolves once the server has the message; every other member gets ChannelMessage. */
  sendMessage(message: RtmMessage): Promise<void>;
  /** At most 512 member ids (a random sample of larger channels). */
  getMembers(): Promise<string[]>;
}

export declare class RtmClient extends RtmEventEmitter<RtmEvents.RtmClientEvents> {
  private constructor();
  /** Logs in. Rejects with LOGIN_ERR_* codes (3 invalid uid, 8 already logged in, 9 timeout, ...). */
  login(options: { uid: string; token?: string }): Promise<void>;
  /** Logs out; resolves once the connection is closed. */
  logout(): Promise<void>;
  /** Logs out at once, without waiting for the server (e.g. in `beforeunload`); throws code 102 when logged out. */
  logoutSync(): void;
  /** The current connection state. */
  readonly connectionState: RtmStatusCode.ConnectionState;
  /** Replaces the session's token. Rejects with RENEW_TOKEN_ERR_* (2 empty, 5 expired, 6 invalid, 102 not logged in). */
  renewToken(token: string): Promise<void>;
  sendMessageToPeer(
    message: RtmMessage,
    peerId: string,
    options?: SendMessageOptions,
  ): Promise<PeerMessageSendResult>;
  createMessage<T extends RtmMessage>(message: Partial<T>): T;
  /** A channel object (no server call); throws an RtmError (code 1) for an invalid id. */
  createChannel(channelId: string): RtmChannel;
  /** A call invitation to `calleeId` (no server call until `send()`). */
  createLocalInvitation(calleeId: string): LocalInvitation;
  /** Whether each of 1–256 peers is ONLINE. */
  queryPeersOnlineStatus(peerIds: string[]): Promise<PeersOnlineStatusResult>;
  /** Subscribes to 1–256 peers (at most 512 in all; code 6 beyond). */
  subscribePeersOnlineStatus(peerIds: string[]): Promise<void>;
  unsubscribePeersOnlineStatus(peerIds: string[]): Promise<void>;
  /** The subscribed peer ids. */
  queryPeersBySubscriptionOption(option: RtmStatusCode.PeerSubscriptionOption): Promise<string[]>;
  /** Attribute writes reject with ATTRIBUTE_OPERATION_ERR_* (3 invalid key, 4 size overflow, 5 too often, 102). */
  setLocalUserAttributes(attributes: AttributesMap): Promise<void>;
  addOrUpdateLocalUserAttributes(attributes: AttributesMap): Promise<void>;
  deleteLocalUserAttributesByKeys(attributeKeys: string[]): Promise<void>;
  clearLocalUserAttributes(): Promise<void>;
  getUserAttributes(userId: string): Promise<AttributesMap>;
  getUserAttributesByKeys(userId: string, attributeKeys: string[]): Promise<AttributesMap>;
  setChannelAttributes(channelId: string, attributes: AttributesMap, options?: ChannelAttributeOptions): Promise<void>;
  addOrUpdateChannelAttributes(
    channelId: string,
    attributes: AttributesMap,
    options?: ChannelAttributeOptions,
  ): Promise<void>;
  deleteChannelAttributesByKeys(
    channelId: string,
    attributeKeys: string[],
    options?: ChannelAttributeOptions,
  ): Promise<void>;
  clearChannelAttributes(channelId: string, options?: ChannelAttributeOptions): Promise<void>;
  getChannelAttributes(channelId: string): Promise<ChannelAttributes>;
  getChannelAttributesByKeys(channelId: string, keys: string[]): Promise<ChannelAttributes>;
  /** Member counts of 1–32 channels (0 for an empty channel). */
  getChannelMemberCount(channelIds: string[]): Promise<ChannelMemberCountResult>;
  updateConfig(config: RtmConfig): void;
  setParameters(config: RtmConfig): void;
}

export interface AgoraRTMStatic {
  readonly VERSION: string;
  readonly BUILD: string;
  readonly END_CALL_PREFIX: string;
  readonly LOG_FILTER_OFF: LogFilterType;
  readonly LOG_FILTER_ERROR: LogFilterType;
  readonly LOG_FILTER_WARNING: LogFilterType;
  readonly LOG_FILTER_INFO: LogFilterType;
  readonly LOG_FILTER_DEBUG: LogFilterType;
  /** This page's id (a UUID). */
  readonly processId: string;
  /**
   * Agora's module parameters. Known keys are kept, others ignored; `LOG_HANDLER` (a function
   * given `{level, message}` for each log line that passes a client's `logFilter`) takes effect.
   */
  setParameter(key: string, value: unknown): void;
  getParameter(key: string): unknown;
  createInstance(appId: string, config?: RtmConfig, areaCodes?: RtmStatusCode.AreaCode[]): RtmClient;
  setArea(areaConfig: { areaCodes: RtmStatusCode.AreaCode[]; excludedArea?: RtmStatusCode.AreaCode }): void;
  /** rtm-wasm: the server for clients created without `config.serverUrl`. */
  setServerUrl(url: string | null): void;
  readonly ConnectionState: typeof RtmStatusCode.ConnectionState;
  readonly ConnectionChangeReason: typeof RtmStatusCode.ConnectionChangeReason;
  readonly LocalInvitationState: typeof RtmStatusCode.LocalInvitationState;
  readonly RemoteInvitationState: typeof RtmStatusCode.RemoteInvitationState;
  readonly LocalInvitationFailureReason: typeof RtmStatusCode.LocalInvitationFailureReason;
  readonly RemoteInvitationFailureReason: typeof RtmStatusCode.RemoteInvitationFailureReason;
  readonly MessageType: typeof RtmStatusCode.MessageType;
  readonly PeerOnlineState: typeof RtmStatusCode.PeerOnlineState;
  readonly PeerSubscriptionOption: typeof RtmStatusCode.PeerSubscriptionOption;
  readonly AreaCode: typeof RtmStatusCode.AreaCode;
}

/** The module object (`import AgoraRTM from 'rtm-wasm'`). */
export declare function agoraRtm(): AgoraRTMStatic;
