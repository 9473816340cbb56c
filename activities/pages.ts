// Every page of a listing. AWS returns lists in pages (EC2 MaxResults/NextToken, IAM Marker,
// CloudFormation and EKS NextToken, Route53 NextMarker); code that reads the first page misses
// whatever is on the others, which in a leak check or the sweeper is a leak. The SDK's
// paginators follow the tokens; this gathers their items and classifies a failed page's error.
import { classifying } from './errors.js';
import { heartbeat } from './poll.js';

export async function allPages<Page, Item>(
  doing: string,
  pages: AsyncIterable<Page>,
  items: (page: Page) => Item[] | undefined,
): Promise<Item[]> {
  return classifying(doing, async () => {
    const out: Item[] = [];
    for await (const page of pages) {
      out.push(...(items(page) ?? []));
      // A long listing keeps its activity alive.
      heartbeat({ listing: doing, items: out.length });
    }
    return out;
  });
}
