/**
 * The part of stompit 1.x (CommonJS, ships no types) that the compatibility suite uses.
 * Written from node_modules/stompit/lib/{connect,Client,Socket,client/Subscription}.js.
 */
declare module 'stompit' {
  import type { Socket } from 'node:net';
  import type { Readable, Writable } from 'node:stream';

  type Headers = Record<string, string | number>;

  interface ConnectOptions {
    host?: string;
    port?: number;
    /** ms to wait for the TCP connection + CONNECTED (stompit's default 3000) */
    timeout?: number;
    connectHeaders?: Headers;
  }

  interface SendOptions {
    onReceipt?: () => void;
    onError?: (error: Error) => void;
  }

  /** An incoming MESSAGE: a readable stream of its body with the frame headers. */
  interface Message extends Readable {
    headers: Record<string, string>;
    readString(
      encoding: BufferEncoding,
      callback: (error: Error | null, body?: string) => void,
    ): void;
  }

  type MessageListener = (error: Error | null, message: Message) => void;

  interface Subscription {
    getId(): string | number;
    unsubscribe(headers?: Headers): void;
  }

  interface Client {
    headers: Record<string, string>;
    send(headers: Headers | string, options?: SendOptions): Writable;
    sendString(headers: Headers | string, body: string, options?: SendOptions): void;
    sendFrame(command: string, headers: Headers, options?: SendOptions): Writable;
    subscribe(headers: Headers | string, listener: MessageListener): Subscription;
    /** Route MESSAGEs with this subscription id to `listener` without sending SUBSCRIBE. */
    setImplicitSubscription(
      id: string | number,
      ack: 'auto' | 'client' | 'client-individual' | undefined,
      listener: MessageListener,
    ): Subscription;
    ack(message: Message, headers?: Headers, options?: SendOptions): void;
    nack(message: Message, headers?: Headers, options?: SendOptions): void;
    disconnect(callback?: (error: Error | null) => void): void;
    destroy(error?: Error): void;
    getTransportSocket(): Socket;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'end', listener: () => void): this;
  }

  function connect(
    options: ConnectOptions,
    callback: (error: Error | null, client: Client) => void,
  ): Client;

  const stompit: { connect: typeof connect };
  export default stompit;
  export type {
    Client,
    ConnectOptions,
    Headers,
    Message,
    MessageListener,
    SendOptions,
    Subscription,
  };
}
