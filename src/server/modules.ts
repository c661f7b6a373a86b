import type { DoctorOptions, DoctorReport } from '../shared/report.js';
import type { Explain, HelpProvider } from './app.js';
import type { Diagnose } from './service.js';

/**
 * The doctor, catalog and explainer are loaded at start rather than imported statically, so the server
 * builds and its storage/queue code can be tested on its own; a missing piece is reported clearly.
 */
export async function loadDiagnose(): Promise<Diagnose> {
  const mod = (await import('../doctor/index.js')) as unknown as { diagnose?: Diagnose };
  if (typeof mod.diagnose !== 'function') {
    throw new Error(
      'the doctor (src/doctor/index.ts) does not export diagnose(); rebuild with `npm run build`',
    );
  }
  const diagnose = mod.diagnose;
  return (options: DoctorOptions): Promise<DoctorReport> => diagnose(options);
}

export async function loadHelp(): Promise<HelpProvider | undefined> {
  try {
    const mod = await import('../doctor/catalog.js');
    mod.listArticles();
    return {
      listArticles: () => mod.listArticles(),
      searchArticles: (q) => mod.searchArticles(q),
      getArticle: (id) => mod.getArticle(id),
    };
  } catch {
    return undefined;
  }
}

export async function loadExplain(): Promise<Explain | undefined> {
  try {
    const mod = (await import('../doctor/explain/index.js')) as unknown as { explain?: Explain };
    return typeof mod.explain === 'function' ? mod.explain : undefined;
  } catch {
    return undefined;
  }
}
