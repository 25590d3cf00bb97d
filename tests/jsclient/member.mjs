// A scripted room member whose client is matrix-js-sdk with its Rust crypto, the stack Element
// is built on. tests/harness/js_member.py starts it and drives it:
//
//   MEMBER_PASSWORD=… node member.mjs HOMESERVER_URL USER_ID [DEVICE_NAME]
//
// It logs in to a new device, starts end-to-end encryption and syncing, then speaks JSON lines.
// On stdin, one command a line, each with an "id" the answer repeats:
//   {"id": 1, "cmd": "send", "room": "!r", "body": "hello"}            an m.text message
//   {"id": 2, "cmd": "send_event", "room": "!r", "type": "…", "content": {…}}
//   {"id": 3, "cmd": "respond", "room": "!r", "poll": "$start", "answers": ["yes"]}
//   {"id": 4, "cmd": "join", "room": "!r"}    {"id": 5, "cmd": "leave", "room": "!r"}
//   {"id": 6, "cmd": "create_room", "name": "…", "invite": ["@u"], "encrypted": true, "is_direct": false}
//   {"id": 7, "cmd": "stop"}                  logs out (the device and its keys are deleted), exits
// On stdout:
//   {"ready": {"user_id": "@u", "device_id": "D"}}      once, when the device's keys are published
//   {"reply": 1, "ok": {"event_id": "$e"}}  or  {"reply": 1, "error": "…"}
//   {"event": {"room_id", "event_id", "sender", "type", "content", "origin_server_ts",
//              "state_key"?, "encrypted", "decryption_failure"}}
// An event is what the member reads: decrypted where the client could, with "encrypted" telling
// whether it came as m.room.encrypted and "decryption_failure" the SDK's reason when it could not
// be read (such an event reads as the SDK shows it: an m.room.message of msgtype m.bad.encrypted).
// An event that becomes readable later (its key arrived late) is reported again, readable.
// Invites are reported as the invite's m.room.member event; they are never accepted on their own.
// Only what happens after the first sync is reported, as a person sees new things arrive.
// The SDK's own log goes to stderr, at debug level if MEMBER_DEBUG is set.

import { format } from "node:util";
import { createInterface } from "node:readline";

const [homeserver, userId, deviceName = "matrix-js-sdk test member"] = process.argv.slice(2);
const password = process.env.MEMBER_PASSWORD;
if (!homeserver || !userId || !password) {
    process.stderr.write("usage: MEMBER_PASSWORD=… node member.mjs HOMESERVER_URL USER_ID [DEVICE_NAME]\n");
    process.exit(2);
}

// stdout carries the protocol alone: anything that logs to the console writes to stderr.
const toStderr = (...args) => process.stderr.write(format(...args) + "\n");
const quiet = () => {};
for (const name of ["log", "info", "warn", "error", "trace", "debug"]) console[name] = toStderr;

// The SDK asks for Node 22; of what Node 22 added, it uses only Promise.withResolvers, which
// Node 20 lacks. The standard behaviour, in three lines:
Promise.withResolvers ??= function () {
    let resolve, reject;
    const promise = new this((yes, no) => ((resolve = yes), (reject = no)));
    return { promise, resolve, reject };
};

const sdk = await import("matrix-js-sdk");
const { PollResponseEvent } = await import("matrix-js-sdk/lib/extensible_events_v1/PollResponseEvent.js");

// The client and its crypto (which logs every Rust tracing line) log through this.
const logger = {
    trace: quiet,
    debug: process.env.MEMBER_DEBUG ? toStderr : quiet,
    info: toStderr,
    warn: toStderr,
    error: toStderr,
    getChild: () => logger,
};

const say = (message) => process.stdout.write(JSON.stringify(message) + "\n");

// -- logging in and starting -----------------------------------------------------------------

const login = await sdk.createClient({ baseUrl: homeserver, logger }).loginRequest({
    type: "m.login.password",
    identifier: { type: "m.id.user", user: userId },
    password,
    initial_device_display_name: deviceName,
});
const client = sdk.createClient({
    baseUrl: homeserver,
    userId: login.user_id,
    deviceId: login.device_id,
    accessToken: login.access_token,
    logger,
});
// In memory: a fresh device every run, as the tests want, and no IndexedDB needed in Node.
await client.initRustCrypto({ useIndexedDB: false });

const bornMs = Date.now();
let started = false; // set after the first sync: what came before is history
const HISTORY = "history";
const reported = new Map(); // event id -> what was last said about it, or HISTORY

function describe(event) {
    const seen = event.getEffectiveEvent(); // the decrypted type and content, when decrypted
    const described = {
        room_id: event.getRoomId(),
        event_id: event.getId() ?? null,
        sender: event.getSender(),
        type: seen.type,
        content: seen.content,
        origin_server_ts: event.getTs(),
        encrypted: event.isEncrypted(),
        decryption_failure: event.isDecryptionFailure() ? event.decryptionFailureReason : null,
    };
    if (event.isState()) described.state_key = event.getStateKey();
    return described;
}

function report(event) {
    const id = event.getId();
    // Our own messages are reported when they come back from the server, not as local echoes.
    if (!id || id.startsWith("~") || reported.get(id) === HISTORY) return;
    // The first sync's events are history; so is an old event the server hands out late.
    if (!started || event.getTs() < bornMs) return reported.set(id, HISTORY);
    const described = describe(event);
    const summary = `${described.type} ${described.decryption_failure}`;
    if (reported.get(id) === summary) return;
    reported.set(id, summary);
    say({ event: described });
}

client.on(sdk.RoomEvent.Timeline, (event, room, toStartOfTimeline) => {
    if (toStartOfTimeline || event.status !== null) return; // back-pagination, local echo
    if (!started) return reported.set(event.getId(), HISTORY);
    client.decryptEventIfNeeded(event).then(() => report(event));
});
// Fired again when a key arrives for an event that could not be read at first.
client.on(sdk.MatrixEventEvent.Decrypted, (event) => report(event));
client.on(sdk.RoomMemberEvent.Membership, (event, member) => {
    // Fires only when the membership changes, so each invite once.
    if (started && member.userId === login.user_id && member.membership === "invite") {
        say({ event: describe(event) });
    }
});

// A long timeline per sync, so a burst of messages arrives whole instead of as a gap.
const filter = new sdk.Filter(login.user_id);
filter.setTimelineLimit(100);
const firstSync = new Promise((resolve) => {
    client.on(sdk.ClientEvent.Sync, (state) => state === "PREPARED" && resolve());
});
await client.startClient({ lazyLoadMembers: true, filter, initialSyncLimit: 1 });
await firstSync;
started = true;
await deviceKeysPublished();
say({ ready: { user_id: login.user_id, device_id: login.device_id } });

async function deviceKeysPublished() {
    // Others can encrypt for this device only once the server hands out its keys.
    for (let attempt = 0; attempt < 100; attempt++) {
        const answer = await client.downloadKeysForUsers([login.user_id]);
        if (answer.device_keys?.[login.user_id]?.[login.device_id]) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("the device's keys were never published");
}

// -- commands ----------------------------------------------------------------------------------

/** Resolves once the room is joined and its state (encryption included) has been synced. */
function roomReady(roomId) {
    const ready = () => {
        const room = client.getRoom(roomId);
        return room?.getMyMembership() === "join" && room.currentState.getStateEvents("m.room.create", "");
    };
    return new Promise((resolve) => {
        if (ready()) return resolve();
        const check = () => ready() && (client.off(sdk.ClientEvent.Sync, check), resolve());
        client.on(sdk.ClientEvent.Sync, check);
    });
}

const commands = {
    async send({ room, body }) {
        return client.sendEvent(room, "m.room.message", { msgtype: "m.text", body });
    },
    async send_event({ room, type, content }) {
        return client.sendEvent(room, type, content);
    },
    async respond({ room, poll, answers }) {
        // The SDK's own poll response, as Element sends it when a person picks an answer.
        const response = PollResponseEvent.from(answers, poll).serialize();
        return client.sendEvent(room, response.type, response.content);
    },
    async join({ room }) {
        await client.joinRoom(room);
        await roomReady(room);
        return { room_id: room };
    },
    async leave({ room }) {
        await client.leave(room);
        return { room_id: room };
    },
    async create_room({ name, invite = [], encrypted = true, is_direct = false }) {
        const initial_state = encrypted
            ? [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }]
            : [];
        const { room_id } = await client.createRoom({ name, invite, is_direct, initial_state });
        await roomReady(room_id);
        return { room_id };
    },
    async stop() {
        await shutDown();
        return {};
    },
};

async function shutDown() {
    client.stopClient();
    try {
        await client.logout(true);
    } catch (err) {
        logger.warn("logging out failed:", err);
    }
}

const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
    let request;
    try {
        request = JSON.parse(line);
        const command = commands[request.cmd];
        if (!command) throw new Error(`unknown command ${JSON.stringify(request.cmd)}`);
        say({ reply: request.id, ok: await command(request) });
        if (request.cmd === "stop") process.exit(0);
    } catch (err) {
        say({ reply: request?.id ?? null, error: String(err?.stack ?? err) });
    }
});
// The test process went away without saying stop: log out all the same.
lines.on("close", async () => {
    await shutDown();
    process.exit(0);
});
