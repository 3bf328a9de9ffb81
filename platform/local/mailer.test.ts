import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localMailer } from './mailer.js';

const email = {
  id: 'rental-reminder-r1',
  to: 'viewer@example.jp',
  subject: '「千と千尋の神隠し」のレンタル期間は残り5時間を切りました',
  text: '視聴期間は 2030年1月3日(木) 12:00 JST までです。',
  html: '<p>視聴期間は <strong>2030年1月3日(木) 12:00 JST</strong> までです。</p>',
  headers: {
    'List-Unsubscribe': '<https://kinema.test/api/notification/unsubscribe?token=abc.def>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
};

describe('localMailer', () => {
  it('writes real MIME to the outbox: text + HTML alternatives, an encoded subject, one-click headers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kinema-mail-'));
    const mailer = localMailer({ dir, from: 'Kinema <no-reply@kinema.test>', now: () => Date.UTC(2030, 0, 1) });
    const { messageId } = await mailer.send(email);
    expect(messageId).toBe('<rental-reminder-r1@kinema.test>');
    const [entry] = await mailer.list(10);
    expect(entry).toMatchObject({ to: 'viewer@example.jp', subject: email.subject, messageId });
    const eml = readFileSync(join(dir, entry!.file), 'utf8');
    // Long headers are folded; unfold them to read them.
    const head = eml.split('\r\n\r\n')[0]!.replace(/\r\n[ \t]/g, ' ');
    expect(head).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/m);
    expect(head).not.toMatch(/千/); // headers are 7-bit
    expect(head).toMatch(/^Content-Type: multipart\/alternative; boundary=/m);
    expect(head).toMatch(
      /^List-Unsubscribe: <https:\/\/kinema\.test\/api\/notification\/unsubscribe\?token=abc\.def>$/m,
    );
    expect(head).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    expect(head).toMatch(/^Message-ID: <rental-reminder-r1@kinema\.test>$/m);
    expect(head).toMatch(/^Date: Tue, 01 Jan 2030 00:00:00 \+0000$/m);
    expect(eml).toMatch(/Content-Type: text\/plain; charset=utf-8/);
    expect(eml).toMatch(/Content-Type: text\/html; charset=utf-8/);
    const textPart =
      /Content-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n([A-Za-z0-9+/=\r\n]+)/.exec(
        eml,
      );
    expect(Buffer.from(textPart![1]!.replace(/\r\n/g, ''), 'base64').toString('utf8')).toBe(email.text);
    // The subject decodes back to the Japanese original.
    const encoded = /^Subject: (.+)$/m.exec(head)![1]!;
    const decoded = encoded.split(' ').map((word) => {
      const [, charset, kind, data] = /=\?([^?]+)\?([BQ])\?([^?]*)\?=/i.exec(word.trim())!;
      expect(charset!.toUpperCase()).toBe('UTF-8');
      return kind === 'B'
        ? Buffer.from(data!, 'base64')
        : Buffer.from(
            data!
              .replace(/_/g, ' ')
              .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
            'latin1',
          );
    });
    expect(Buffer.concat(decoded).toString('utf8')).toBe(email.subject);
  });

  it('a mail server that refuses or never answers fails the send, and nothing lands in the outbox', async () => {
    // A server that accepts the connection and says nothing: the greeting times out.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'kinema-mail-'));
    const mailer = localMailer({
      dir,
      from: 'k@kinema.test',
      now: Date.now,
      smtpUrl: `smtp://127.0.0.1:${port}`,
      smtpTimeoutMs: 300,
    });
    await expect(mailer.send(email)).rejects.toThrow(/greeting never received|timeout/i);
    expect(await mailer.list(10)).toEqual([]);
    silent.close();

    // A server that refuses the recipient.
    const refusing = createServer((socket) => {
      socket.write('220 test ESMTP\r\n');
      socket.on('data', (data) => {
        const line = data.toString();
        if (/^(EHLO|HELO)/i.test(line)) socket.write('250 test\r\n');
        else if (/^MAIL FROM/i.test(line)) socket.write('250 ok\r\n');
        else if (/^RCPT TO/i.test(line)) socket.write('550 5.1.1 no such user\r\n');
        else if (/^QUIT/i.test(line)) socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      });
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const refusingMailer = localMailer({
      dir,
      from: 'k@kinema.test',
      now: Date.now,
      smtpUrl: `smtp://127.0.0.1:${(refusing.address() as { port: number }).port}`,
    });
    await expect(refusingMailer.send(email)).rejects.toThrow(/550/);
    expect(await refusingMailer.list(10)).toEqual([]);
    refusing.close();
  });
});
