/**
 * The proctor console's websocket — static/console/console_socket.js.
 *
 * `connectConsole({path, rooms, onEvent, onStatus, onSubscribed})` opens
 * `/ws/console/` through core/socket.js (reconnects with back-off, pings, back online
 * at once); the staff session cookie authenticates it, so instead of an auth message
 * it subscribes to each room, and is ready once every room is subscribed. Reports:
 *
 * - `onStatus(status)`: "connecting" | "live" (every room subscribed) | "retrying"
 *   | "stopped" (the server refused the user, close code 4403, or a room: an `error`
 *   such as `room_not_found`, also when access is taken away while open);
 * - `onSubscribed(room)` after each subscription — the page re-reads the room over
 *   HTTP then, so that nothing missed while disconnected is lost;
 * - `onEvent(message)` for every `{"type":"event", …}`.
 */

import { connectSocket } from '../core/socket.js';

const CLOSE_FORBIDDEN = 4403;

export function connectConsole({
  path,
  rooms,
  onEvent = () => {},
  onStatus = () => {},
  onSubscribed = () => {},
}) {
  let handle = null;
  const handshake = () => {
    const waiting = new Set(rooms);
    return {
      messages: rooms.map((room) => ({ type: 'subscribe', room })),
      ready(message) {
        if (message.type === 'subscribed') {
          waiting.delete(message.room);
        }
        return waiting.size === 0;
      },
    };
  };
  handle = connectSocket({
    path,
    handshake,
    finalCodes: new Set([CLOSE_FORBIDDEN]),
    onEvent,
    onMessage(message) {
      if (message.type === 'subscribed') {
        onSubscribed(message.room);
      } else if (message.type === 'error') {
        handle?.stop({ code: message.code });
      }
    },
    onStatus(status, detail) {
      onStatus(status === 'ready' ? 'live' : status, detail);
    },
  });
  return handle;
}
