// Delivery queue -> SES, through the stack's configuration set. Only a mail SES accepted (or one found sent) is
// acknowledged; every other record goes back to SQS as a batch item failure, then to the dead-letter queue and its
// alarm (shared/delivery/consumer.ts).
import { nightshiftHandler, SqsBatch, traced } from '#functions/middleware.ts';
import { EnvironmentError } from '#functions/runtime.ts';
import { consumeDeliveries } from '#shared/delivery/consumer.ts';
import { mailSources } from '#shared/delivery/sources.ts';
import { createSesMailer, type Mailer } from '#shared/mailer/mailer.ts';

let mailer: Mailer | undefined;

export const handler = nightshiftHandler(SqsBatch, async (event, { store, config, env, now, obs }) =>
  obs.invocation(async () => {
    // Without the configuration set SES would send, and its bounces and complaints would never come back.
    if (!env.SES_CONFIGURATION_SET) throw new EnvironmentError('SES_CONFIGURATION_SET is not set');
    mailer ??= createSesMailer({}, { configurationSet: env.SES_CONFIGURATION_SET, wrapClient: traced });
    const sources = mailSources(store, config);
    return consumeDeliveries(event, {
      store,
      config,
      mailer,
      now,
      ...sources,
      log: obs.logger,
      onSent: obs.emailSent,
    });
  }),
);
